#!/usr/bin/env node
// Checks the import rules in ARCHITECTURE.md and, after a build, that every subpath export resolves.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const problems = [];

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// The module specifiers a file imports, as TypeScript's own pre-processor finds them: strings and
// template literals that merely contain `import ... from` (a migration file template) do not count.
function importsOf(path) {
  const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const engines = ['dynamo', 'mongo', 'prisma'];
const allowedPackages = {
  core: ['@standard-schema/spec'],
  dynamo: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/util-dynamodb', '@smithy/'],
  mongo: ['mongodb'],
  prisma: ['@prisma/', 'pg', '@electric-sql/pglite', 'pglite-prisma-adapter'],
  testing: [],
  // dbkit/mongoose: a plugin over Mongoose (and, for types, the driver it bundles).
  mongoose: ['mongoose', 'mongodb'],
};
// Layers above the engines: which src folders each may import besides itself.
const layers = { mongoose: ['core', 'mongo'] };

for (const area of ['core', ...engines, ...Object.keys(layers)]) {
  const allowed = [area, 'core', ...(layers[area] ?? [])];
  for (const file of files(join(root, 'src', area))) {
    for (const spec of importsOf(file)) {
      const where = relative(root, file);
      if (spec.startsWith('.')) {
        const target = relative(join(root, 'src'), join(file, '..', spec)).split('/')[0];
        if (!allowed.includes(target))
          problems.push(`${where} imports ${spec}: ${area} may import only ${allowed.join(', ')}`);
        continue;
      }
      if (builtins.has(spec)) continue;
      const ok = (allowedPackages[area] ?? []).some(
        (p) => spec === p || (p.endsWith('/') ? spec.startsWith(p) : spec.startsWith(`${p}/`)),
      );
      if (!ok) problems.push(`${where} imports package ${spec}, which ${area} may not depend on`);
    }
  }
}

// Nothing in src imports the Mongoose plugin: it is a leaf that only users load.
for (const file of files(join(root, 'src'))) {
  const where = relative(root, file);
  if (where.startsWith('src/mongoose/')) continue;
  for (const spec of importsOf(file)) {
    const target = spec.startsWith('.')
      ? relative(join(root, 'src'), join(file, '..', spec)).split('/')[0]
      : '';
    if (target === 'mongoose') problems.push(`${where} imports ${spec}: nothing may import src/mongoose`);
  }
}

if (process.argv.includes('--exports')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    for (const file of [target.types, target.import]) {
      if (!existsSync(join(root, file)))
        problems.push(`export ${subpath}: ${file} does not exist (run npm run build)`);
    }
  }
  const bin = Object.values(pkg.bin ?? {});
  for (const file of bin) if (!existsSync(join(root, file))) problems.push(`bin ${file} does not exist`);
}

if (problems.length > 0) {
  console.error(
    `architecture check: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  'architecture check: imports follow ARCHITECTURE.md' +
    (process.argv.includes('--exports') ? '; every export resolves' : ''),
);
