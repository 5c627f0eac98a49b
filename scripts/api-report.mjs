#!/usr/bin/env node
// The public surface of every package entry point as an API Extractor report in etc/api/, read from
// the built declarations (run `npm run build` first). Without --local it fails when a report differs
// from the committed one, printing the difference (`npm run check`); with --local it rewrites them
// (`npm run api:update`). Reports are formatted with the repository's Prettier settings, so
// `prettier --check .` and this comparison agree. Prints how many names each entry point exports.
//
// Usage: node scripts/api-report.mjs [--local] [--dist DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import prettier from 'prettier';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const local = args.includes('--local');
const distIndex = args.indexOf('--dist');
const dist = path.resolve(distIndex >= 0 ? (args[distIndex + 1] ?? '') : path.join(root, 'dist'));
const configPath = path.join(root, 'etc', 'api-extractor.json');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** `./dynamo` -> { name: 'dbkit-dynamo', entry: '<dist>/dynamo/index.d.ts' }, from package.json's exports. */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && typeof target.types === 'string')
  .map(([subpath, target]) => ({
    subpath,
    name: subpath === '.' ? pkg.name : `${pkg.name}-${subpath.slice(2).replaceAll('/', '-')}`,
    entry: path.join(dist, path.relative('dist', target.types)),
  }));

const base = ExtractorConfig.loadFile(configPath);
mkdirSync(path.join(root, '.dbkit', 'api', 'report'), { recursive: true });
let failed = false;
const counts = [];
for (const { subpath, name, entry } of entries) {
  if (!existsSync(entry)) {
    console.error(`api-report: ${entry} does not exist (run npm run build first)`);
    process.exit(1);
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      ...base,
      mainEntryPointFilePath: entry,
      compiler: { overrideTsconfig: { ...base.compiler?.overrideTsconfig, files: [entry] } },
      // API Extractor writes the fresh report under .dbkit/api/; this script compares or copies it.
      apiReport: {
        ...base.apiReport,
        reportFileName: name,
        reportFolder: path.join(root, '.dbkit', 'api', 'report'),
        reportTempFolder: path.join(root, '.dbkit', 'api', 'temp'),
      },
    },
    configObjectFullPath: configPath,
    packageJsonFullPath: path.join(root, 'package.json'),
  });
  const result = Extractor.invoke(config, {
    localBuild: true,
    messageCallback: (message) => {
      if (message.messageId === 'console-preamble' || message.messageId.startsWith('console-api-report'))
        message.logLevel = 'none';
    },
  });
  if (!result.succeeded) {
    failed = true;
    console.error(`api-report: ${subpath}: ${result.errorCount} error(s)`);
    continue;
  }
  const committed = path.join(root, 'etc', 'api', `${name}.api.md`);
  const fresh = path.join(root, '.dbkit', 'api', 'report', `${name}.api.md`);
  const options = { ...(await prettier.resolveConfig(committed)), filepath: committed };
  // Warnings name declaration files by path: the same report wherever the build went (--dist).
  const text = readFileSync(fresh, 'utf8')
    .replaceAll(`${dist}${path.sep}`, 'dist/')
    .replaceAll(`${path.relative(root, dist)}/`, 'dist/');
  const report = await prettier.format(text, options);
  writeFileSync(fresh, report);
  counts.push(`${subpath} ${exportedNames(report).length}`);
  const previous = existsSync(committed) ? readFileSync(committed, 'utf8') : undefined;
  if (previous === report) continue;
  if (local) {
    writeFileSync(committed, report);
    console.log(
      `api-report: ${path.relative(root, committed)} ${previous === undefined ? 'created' : 'updated'}`,
    );
    continue;
  }
  failed = true;
  console.error(
    `api-report: the public API of ${subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`} changed; ` +
      'review the difference and run `npm run api:update` to accept it:',
  );
  spawnSync('git', ['diff', '--no-index', '--no-color', '--', committed, fresh], {
    cwd: root,
    stdio: 'inherit',
  });
}
console.log(`api-report: exported names per entry point: ${counts.join(', ')}`);
process.exit(failed ? 1 : 0);

/** The distinct top-level names an API report lists. */
function exportedNames(report) {
  const names = new Set();
  for (const m of report.matchAll(
    /^export (?:declare )?(?:abstract )?(?:function|class|const|let|var|interface|type|enum|namespace) ([A-Za-z_$][\w$]*)/gm,
  ))
    names.add(m[1]);
  for (const m of report.matchAll(/^export \{ ([^}]+) \}/gm))
    for (const part of m[1].split(','))
      names.add(
        part
          .trim()
          .split(/\s+as\s+/)
          .at(-1),
      );
  return [...names];
}
