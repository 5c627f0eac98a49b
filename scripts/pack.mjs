#!/usr/bin/env node
// Packs the package exactly as it is published, without touching the repository's own dist/: builds
// src/ into a staging copy (package.json, the `files` it lists, LICENSE, README), runs `npm pack` there
// and prints the tarball's path. `npm run check` lints that tarball; test/consumer installs it.
//
// Usage: node scripts/pack.mjs [--out DIR] [--json]
//   --out DIR  where the staging copy and the tarball go (default: .dbkit/pack, emptied first)
//   --json     print { tarball, stage, files, ms } instead of the tarball's path
//   --allow-type-errors  pack what tsc emitted even when src/ does not type-check (work in progress)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = path.resolve(outIndex >= 0 ? (args[outIndex + 1] ?? '') : path.join(root, '.dbkit', 'pack'));
const json = args.includes('--json');
const allowTypeErrors = args.includes('--allow-type-errors');
/** Non-TypeScript files under src/ that the built package needs (as scripts/copy-assets.mjs copies them). */
const ASSET_EXTENSIONS = ['.java'];

const started = performance.now();
const stage = path.join(out, 'package');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const entry of ['package.json', 'README.md', 'LICENSE', ...(pkg.files ?? [])]) {
  if (entry === 'dist' || !existsSync(path.join(root, entry))) continue;
  cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(
  process.execPath,
  [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
);
if (built.status !== 0) {
  console.error(`pack: tsc -p tsconfig.build.json exited with ${built.status ?? built.signal}`);
  if (!allowTypeErrors || !existsSync(path.join(stage, 'dist'))) process.exit(1);
  console.error('pack: --allow-type-errors: packing what tsc emitted');
}
for (const file of assets(path.join(root, 'src')))
  cpSync(file, path.join(stage, 'dist', path.relative(path.join(root, 'src'), file)));

const packed = JSON.parse(
  run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], stage, true),
)[0];
const tarball = path.join(out, packed.filename);
const ms = Math.round(performance.now() - started);
if (json) {
  console.log(JSON.stringify({ tarball, stage, files: packed.files.map((f) => f.path), ms }));
} else {
  console.log(tarball);
  process.stderr.write(`pack: ${packed.files.length} files, ${packed.size} bytes packed, in ${ms} ms\n`);
}

/** Runs a command, failing with its output; returns stdout when asked. */
function run(command, argv, cwd, capture = false) {
  const result = spawnSync(command, argv, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
  });
  if (result.status !== 0) {
    if (capture) process.stderr.write(`${result.stdout}${result.stderr}`);
    console.error(
      `pack: ${path.basename(command)} ${argv.join(' ')} exited with ${result.status ?? result.signal}`,
    );
    process.exit(1);
  }
  return result.stdout;
}

/** @param {string} dir @returns {string[]} */
function assets(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return assets(file);
    return ASSET_EXTENSIONS.includes(path.extname(entry.name)) ? [file] : [];
  });
}
