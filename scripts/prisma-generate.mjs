#!/usr/bin/env node
// Generates the Prisma Clients for dbkit's test schema (prisma/schema.prisma -> test/prisma/generated/client)
// and the example service's schema (examples/service/prisma/schema.prisma -> its generated/client), offline. Prisma's CLI downloads its schema-engine binary before any command, from binaries.prisma.sh;
// `prisma generate` never runs that engine, so pointing PRISMA_SCHEMA_ENGINE_BINARY at an existing file
// skips the download. We point it at a stub that explains itself if something does run it
// (`prisma migrate` / `db push` need the real engine and cannot run offline).
//
// Skips work when the schema and the Prisma version are unchanged since the last run (a stamp file in
// the output directory); `--force` regenerates anyway.
//
// Usage: node scripts/prisma-generate.mjs [--force]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const targets = [
  {
    schemaPath: path.join(root, 'prisma', 'schema.prisma'),
    outputDir: path.join(root, 'test', 'prisma', 'generated', 'client'),
  },
  {
    schemaPath: path.join(root, 'examples', 'service', 'prisma', 'schema.prisma'),
    outputDir: path.join(root, 'examples', 'service', 'prisma', 'generated', 'client'),
  },
];
const force = process.argv.includes('--force');

const require = createRequire(import.meta.url);
let cliPath;
let prismaVersion;
try {
  cliPath = require.resolve('prisma/build/index.js');
  prismaVersion = JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version;
} catch {
  console.error('prisma-generate: the `prisma` package is not installed; run `npm ci` first.');
  process.exit(1);
}

const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !hasDownloadedSchemaEngine()) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = writeEngineStub();
}
for (const target of targets) generate(target);

/** Generates one schema's client unless its stamp says it is up to date. */
function generate({ schemaPath, outputDir }) {
  const stampPath = path.join(outputDir, '.dbkit-generate-stamp');
  const stamp = createHash('sha256')
    .update(`prisma ${prismaVersion}\n`)
    .update(readFileSync(schemaPath))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex');
  if (!force && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === stamp) {
    console.log(`prisma-generate: client in ${path.relative(root, outputDir)} is up to date`);
    return;
  }
  const started = performance.now();
  const result = spawnSync(process.execPath, [cliPath, 'generate', '--schema', schemaPath, '--no-hints'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`prisma-generate: prisma generate exited with ${result.status ?? result.signal}`);
    process.exit(result.status ?? 1);
  }
  mkdirSync(outputDir, { recursive: true });
  writeFileSync(stampPath, `${stamp}\n`);
  console.log(
    `prisma-generate: ${path.relative(root, outputDir)} done in ${Math.round(performance.now() - started)} ms`,
  );
}

/** True when @prisma/engines' postinstall managed to download a real schema engine (online installs). */
function hasDownloadedSchemaEngine() {
  try {
    const enginesDir = path.dirname(require.resolve('@prisma/engines/package.json'));
    return readdirSync(enginesDir).some((name) => name.startsWith('schema-engine'));
  } catch {
    return false;
  }
}

function writeEngineStub() {
  const dir = path.join(root, 'node_modules', '.cache', 'dbkit');
  mkdirSync(dir, { recursive: true });
  const stub = path.join(dir, 'prisma-schema-engine-offline-stub');
  writeFileSync(
    stub,
    '#!/bin/sh\n' +
      'echo "Prisma schema engine is not installed (offline machine): prisma migrate and db push cannot run here;' +
      ' apply prisma/migrations with dbkit instead." >&2\n' +
      'exit 1\n',
  );
  chmodSync(stub, 0o755);
  return stub;
}
