#!/usr/bin/env node
// Runs the test suite on every supported Node.js line, each pinned to an exact version in
// scripts/node-lines.txt. A line's Node comes from the npm registry, where the official builds are
// published as `node-<platform>-<arch>@<version>`: `npm pack` fetches it (checked against the registry's
// integrity hash), its bin/node is cached in ${DBKIT_CACHE_DIR:-~/.cache/dbkit}/node/<version>, and
// `npm test` runs with that directory first on PATH, so npm, its scripts and vitest all run on it.
// node_modules is the one `npm ci` built on the machine's Node: everything in it is JavaScript, wasm
// (Prisma 7) or Node-API addons and separate executables (rolldown, lightningcss, esbuild) that do not
// depend on the Node version.
//
// Usage:
//   node scripts/ci-node-lines.mjs list                 the lines, where each one's node comes from
//   node scripts/ci-node-lines.mjs install [LINE...]    install (or find in the cache) and print bin dirs
//   node scripts/ci-node-lines.mjs bin LINE             print one line's bin dir, e.g. PATH="$(...):$PATH"
//   node scripts/ci-node-lines.mjs test [--summary FILE] [-- ARGS...]
//       `npm test -- ARGS` on every line, one after the other; each line's results (passed, failed,
//       skipped, seconds) and a table at the end; FILE gets the totals as JSON. Exits 1 if any failed.
// LINE is a major (22) or an exact version. DBKIT_NODE_LINES="22 24" narrows the lines `test` runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countResults, formatCounts } from './ci-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const linesFile = path.join(root, 'scripts', 'node-lines.txt');
const log = (line) => console.log(`[ci] ${line}`);

/** The cache directory, as src/testing/engines/paths.ts computes it. */
function cacheDir() {
  if (process.env.DBKIT_CACHE_DIR) return process.env.DBKIT_CACHE_DIR;
  if (process.env.XDG_CACHE_HOME) return path.join(process.env.XDG_CACHE_HOME, 'dbkit');
  return path.join(homedir(), '.cache', 'dbkit');
}

/** The pinned lines: `{ version, major, note }` in file order. */
export function readLines(file = linesFile) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const [version = '', ...note] = line.split(/\s+/);
      if (!/^\d+\.\d+\.\d+$/.test(version))
        throw new Error(`${file}: "${line}" does not start with an exact version`);
      return { version, major: Number(version.split('.')[0]), note: note.join(' ') };
    });
}

const parse = (v) => v.replace(/^v/, '').split('.').map(Number);
const compare = (a, b) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
};

/**
 * Whether `version` satisfies an `engines.node` range: `||` alternatives of space-separated comparators
 * (`>=20.19`, `<25`, `^22.12.0`, `~20.19`, `20`, `20.x`, `*`). Enough for engines fields, not full semver.
 */
export function satisfies(version, range) {
  const v = parse(version);
  return range.split('||').some((alternative) =>
    alternative
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1') // `>= 20.19` is `>=20.19`
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every((comparator) => {
        const m = /^(>=|<=|>|<|=|\^|~)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(
          comparator,
        );
        if (!m) throw new Error(`unsupported engines range "${range}"`);
        const op = m[1] ?? '';
        const parts = [m[2], m[3], m[4]];
        const given = parts.findIndex((p) => p === undefined || /[xX*]/.test(p));
        const precision = given === -1 ? 3 : given; // how many numbers were written
        const base = parts.map((p, i) => (i < precision ? Number(p) : 0));
        if (precision === 0) return op === '' || op === '>=' || op === '<=' || op === '=';
        const next = [...base]; // the first version above a partial one: 20.19 -> 20.20.0
        next[precision - 1] = (next[precision - 1] ?? 0) + 1;
        for (let i = precision; i < 3; i++) next[i] = 0;
        switch (op) {
          case '>=':
            return compare(v, base) >= 0;
          case '>':
            return precision === 3 ? compare(v, base) > 0 : compare(v, next) >= 0;
          case '<':
            return compare(v, base) < 0;
          case '<=':
            return precision === 3 ? compare(v, base) <= 0 : compare(v, next) < 0;
          case '^': {
            const bump = base[0] !== 0 || precision === 1 ? 0 : base[1] !== 0 || precision === 2 ? 1 : 2;
            const top = [0, 0, 0];
            top[bump] = (base[bump] ?? 0) + 1;
            for (let i = 0; i < bump; i++) top[i] = base[i] ?? 0;
            return compare(v, base) >= 0 && compare(v, top) < 0;
          }
          case '~': {
            const top = precision === 1 ? [base[0] + 1, 0, 0] : [base[0], base[1] + 1, 0];
            return compare(v, base) >= 0 && compare(v, top) < 0;
          }
          default:
            return compare(v, base) >= 0 && compare(v, next) < 0;
        }
      }),
  );
}

/** The version of the `node` that PATH resolves to (what `npm test` would run on), or undefined. */
function nodeOnPath(envPath = process.env.PATH) {
  const r = spawnSync('node', ['-p', 'process.version'], {
    env: { ...process.env, PATH: envPath },
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : undefined;
}

/** The registry package holding this platform's official Node.js build. */
function nodePackage() {
  const platform = { linux: 'linux', darwin: 'darwin' }[process.platform];
  if (platform === undefined)
    throw new Error(`no npm-published Node.js build is used for ${process.platform}`);
  return `node-${platform}-${process.arch}`;
}

/**
 * Finds or installs one version; returns `{ binDir, source }`: `binDir` undefined means the machine's
 * own `node` (PATH unchanged). Throws with the reason when it cannot be installed.
 */
export function ensureNode(version) {
  if (nodeOnPath() === version) return { binDir: undefined, source: 'machine' };
  const dest = path.join(cacheDir(), 'node', version);
  const binDir = path.join(dest, 'bin');
  const works = () =>
    existsSync(path.join(binDir, 'node')) &&
    nodeOnPath(`${binDir}${path.delimiter}${process.env.PATH}`) === version;
  if (works()) return { binDir, source: 'cache' };

  const pkg = `${nodePackage()}@${version}`;
  const started = Date.now();
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = mkdtempSync(path.join(path.dirname(dest), `.${version}-`));
  try {
    const packed = spawnSync(
      'npm',
      ['pack', pkg, '--json', '--pack-destination', tmp, '--no-audit', '--no-fund'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    if (packed.status !== 0)
      throw new Error(`npm pack ${pkg} failed: ${packed.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const [{ filename }] = JSON.parse(packed.stdout);
    const unpacked = path.join(tmp, 'unpacked');
    mkdirSync(unpacked);
    // Only the binary and its licence: the headers and docs are not needed to run tests.
    const tar = spawnSync(
      'tar',
      ['-xzf', path.join(tmp, filename), '-C', unpacked, 'package/bin/node', 'package/LICENSE'],
      {
        encoding: 'utf8',
      },
    );
    if (tar.status !== 0) throw new Error(`unpacking ${filename} failed: ${tar.stderr.trim()}`);
    rmSync(dest, { recursive: true, force: true });
    renameSync(path.join(unpacked, 'package'), dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!works()) throw new Error(`${pkg} installed in ${dest} but its bin/node does not print v${version}`);
  // stderr: `bin` prints only the directory on stdout.
  console.error(
    `[ci] installed Node ${version} from the npm registry (${pkg}) in ${Math.round((Date.now() - started) / 1000)} s: ${binDir}`,
  );
  return { binDir, source: 'npm' };
}

/** The pinned lines, each with whether engines.node allows it. */
function linesWithSupport() {
  const engines = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).engines?.node ?? '*';
  return {
    engines,
    lines: readLines().map((line) => ({ ...line, supported: satisfies(line.version, engines) })),
  };
}

function select(lines, wanted) {
  if (wanted.length === 0) return lines;
  return wanted.map((w) => {
    const line = lines.find((l) => l.version === w.replace(/^v/, '') || String(l.major) === w);
    if (line === undefined)
      throw new Error(`no pinned line matches "${w}" in ${path.relative(root, linesFile)}`);
    return line;
  });
}

function runTests(args) {
  let summaryFile;
  const summaryAt = args.indexOf('--summary');
  if (summaryAt !== -1) {
    summaryFile = args[summaryAt + 1];
    args.splice(summaryAt, 2);
  }
  if (args[0] === '--') args.shift();
  const { engines, lines } = linesWithSupport();
  const wanted = (process.env.DBKIT_NODE_LINES ?? '').split(/[\s,]+/).filter(Boolean);
  const results = [];
  log(
    `Node.js lines (scripts/node-lines.txt; package.json engines.node "${engines}"): ${lines.map((l) => l.version).join(', ')}` +
      (wanted.length > 0 ? `; DBKIT_NODE_LINES narrows them to ${wanted.join(', ')}` : ''),
  );
  for (const line of select(lines, wanted)) {
    const label = `Node ${line.version}`;
    if (!line.supported) {
      log(
        `${label}: skipped, engines.node "${engines}" does not allow it any more: remove it from scripts/node-lines.txt`,
      );
      continue;
    }
    console.log('');
    log(`──── ${label}${line.note ? ` (${line.note})` : ''} ────`);
    const started = Date.now();
    let counts;
    let source = '-';
    let status = 1;
    try {
      const node = ensureNode(line.version);
      source = node.source;
      const envPath =
        node.binDir === undefined ? process.env.PATH : `${node.binDir}${path.delimiter}${process.env.PATH}`;
      const running = nodeOnPath(envPath);
      if (running !== line.version)
        throw new Error(`PATH resolves \`node\` to ${running ?? 'nothing'}, not ${line.version}`);
      const report = path.join(root, '.dbkit', `ci-results-${process.pid}-node-${line.version}.json`);
      mkdirSync(path.dirname(report), { recursive: true });
      rmSync(report, { force: true });
      log(
        `${label} (${source}${node.binDir ? `: ${node.binDir}` : ''}): npm test${args.length ? ` -- ${args.join(' ')}` : ''}`,
      );
      const run = spawnSync('npm', ['test', ...(args.length ? ['--', ...args] : [])], {
        cwd: root,
        env: { ...process.env, PATH: envPath, DBKIT_TEST_REPORT: report },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      status = run.status ?? 1;
      counts = countResults(report, status);
      rmSync(report, { force: true });
    } catch (err) {
      log(`${label}: ${err instanceof Error ? err.message : String(err)}`);
      counts = { passed: 0, failed: 1, skipped: 0, complete: false };
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    const ok = status === 0 && counts.failed === 0;
    results.push({ version: line.version, source, status, seconds, ok, ...counts });
    log(
      `${label}: ${formatCounts(counts)} in ${seconds} s${ok ? '' : ` (FAILED, npm test exit ${status})`}${counts.complete ? '' : ' (no complete test report)'}`,
    );
  }

  const totals = results.reduce(
    (t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  if (results.length === 0) {
    log('no Node.js line ran: counted as one failure');
    totals.failed = 1;
  }
  console.log('');
  log('results per Node.js line:');
  for (const r of results) {
    log(
      `  ${`Node ${r.version}`.padEnd(14)} ${r.source.padEnd(8)} ${formatCounts(r).padEnd(36)} ${String(r.seconds).padStart(5)} s  ${r.ok ? 'ok' : 'FAILED'}`,
    );
  }
  log(`  all lines: ${formatCounts(totals)}`);
  const ok = results.length > 0 && results.every((r) => r.ok);
  if (summaryFile)
    writeFileSync(summaryFile, `${JSON.stringify({ ok, ...totals, lines: results }, null, 2)}\n`);
  return ok ? 0 : 1;
}

function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'test') return runTests(rest);
  const { engines, lines } = linesWithSupport();
  if (command === 'list') {
    const machine = nodeOnPath();
    for (const l of lines) {
      const where =
        l.version === machine
          ? 'machine'
          : existsSync(path.join(cacheDir(), 'node', l.version, 'bin', 'node'))
            ? 'cached'
            : 'not installed';
      console.log(
        `${l.version}\t${l.supported ? 'tested' : `not allowed by engines "${engines}"`}\t${where}\t${l.note}`,
      );
    }
    return 0;
  }
  if (command === 'install' || command === 'bin') {
    if (command === 'bin' && rest.length !== 1) throw new Error('usage: ci-node-lines.mjs bin LINE');
    for (const l of select(lines, rest)) {
      const { binDir } = ensureNode(l.version);
      const dir =
        binDir ??
        path.dirname(spawnSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).stdout.trim());
      console.log(command === 'bin' ? dir : `${l.version}\t${dir}`);
    }
    return 0;
  }
  console.error(
    'usage: node scripts/ci-node-lines.mjs list | install [LINE...] | bin LINE | test [--summary FILE] [-- ARGS...]',
  );
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`ci-node-lines: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
