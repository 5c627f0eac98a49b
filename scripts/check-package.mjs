#!/usr/bin/env node
// Lints the package as it is published: packs it (scripts/pack.mjs), then runs publint and
// Are The Types Wrong (ESM-only profile) on the tarball, and checks what it ships: no sources or
// source maps, the LICENSE, and every relative link of README.md and docs/*.md resolving to a file
// inside the package (links to anything else must be absolute).
//
// Usage: node scripts/check-package.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

const packed = run(process.execPath, [path.join(root, 'scripts', 'pack.mjs'), '--json'], true);
const { tarball, files, ms } = JSON.parse(packed.trim().split('\n').at(-1));
console.log(`check-package: packed ${files.length} files in ${ms} ms: ${path.relative(root, tarball)}`);

run(bin('publint'), ['run', tarball, '--strict']);
run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped']);

const shipped = new Set(files);
for (const file of files) {
  if (file.startsWith('src/')) problems.push(`ships a source file: ${file}`);
  if (file.endsWith('.map')) problems.push(`ships a source map: ${file}`);
}
for (const required of ['LICENSE', 'README.md', 'package.json']) {
  if (!shipped.has(required)) problems.push(`does not ship ${required}`);
}
for (const doc of files.filter((f) => f === 'README.md' || (f.startsWith('docs/') && f.endsWith('.md')))) {
  const text = readFileSync(path.join(root, doc), 'utf8').replace(/```[\s\S]*?```/g, '');
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = m[1];
    if (/^[a-z]+:/i.test(link) || link.startsWith('#')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), link.split('#')[0]));
    if (!shipped.has(target))
      problems.push(
        `${doc} links to ${link}, which the package does not ship: link it absolutely (https://github.com/dbkit-dev/dbkit/blob/main/${target})`,
      );
  }
}

if (problems.length > 0) {
  console.error(
    `check-package: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  'check-package: publint and attw pass; no sources or maps shipped; every relative docs link resolves in the package',
);

/** An installed tool's executable (devDependencies). */
function bin(name) {
  return path.join(root, 'node_modules', '.bin', name);
}

/** Runs a command; exits with its status when it fails; returns stdout when captured. */
function run(command, args, capture = false) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    console.error(
      `check-package: ${path.basename(command)} ${args.join(' ')} exited with ${result.status ?? result.signal}`,
    );
    process.exit(result.status ?? 1);
  }
  return result.stdout;
}
