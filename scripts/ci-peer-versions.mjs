#!/usr/bin/env node
// Runs the test suite against the lowest (or the highest) versions that package.json's peerDependencies
// ranges allow, in a throwaway copy of the work tree, so that both ends of every range we promise are
// exercised: the lockfile's devDependencies pin one version each, usually near the top.
//
// In the copy, each peer's devDependency is set to the exact version chosen from the registry
// (`npm view NAME@RANGE version`), `npm install` resolves the tree (the lockfile keeps everything else
// where it was), the chosen versions are checked in node_modules, every installed package's peer ranges
// on them are checked (a conflict among dbkit's peers counts as a failure: npm would refuse to install
// them together), then `npm test -- ARGS` runs there.
// The Prisma packages move together: the `prisma` CLI (the generator), @prisma/client and
// @prisma/adapter-pg at one version, and @prisma/prisma-schema-wasm at that version's engines build.
//
// Usage:
//   node scripts/ci-peer-versions.mjs [--lowest|--highest] [--set NAME@VERSION]... [--plan] [--keep]
//                                     [--summary FILE] [-- ARGS...]
//     --plan     print the chosen versions and stop (no copy, no install)
//     --set      use this version for NAME instead of the chosen one (a peer, or `prisma`)
//     --keep     leave the copy (its path is printed) for a closer look
//     --summary  write { ok, passed, failed, skipped, versions } to FILE (read by .ci/run)
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countResults, formatCounts } from './ci-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PRISMA_FAMILY = ['@prisma/client', '@prisma/adapter-pg'];
const SCHEMA_WASM = '@prisma/prisma-schema-wasm';

function parseArgs(argv) {
  const opts = { mode: 'lowest', set: new Map(), plan: false, keep: false, summary: undefined, testArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      opts.testArgs = argv.slice(i + 1);
      break;
    }
    if (a === '--lowest' || a === '--highest') opts.mode = a.slice(2);
    else if (a === '--plan') opts.plan = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--summary') opts.summary = argv[++i];
    else if (a === '--set') {
      const m = /^(@?[^@]+)@(.+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--set wants NAME@VERSION');
      opts.set.set(m[1], m[2]);
    } else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

/** npm's stdout for a command, or throws with its last stderr lines. */
function npm(args, cwd = root) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0)
    throw new Error(`npm ${args.join(' ')}: ${r.stderr.trim().split('\n').slice(-4).join(' | ')}`);
  return r.stdout;
}

const release = (v) => /^\d+\.\d+\.\d+$/.test(v);
const byVersion = (a, b) => {
  const x = a.split(/[.-]/).map(Number);
  const y = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
};

/** The published versions of NAME inside RANGE, ascending (releases only, unless the range is one exact prerelease). */
function published(name, range) {
  const out = npm(['view', `${name}@${range}`, 'version', '--json']).trim();
  if (out === '') throw new Error(`no published version of ${name} satisfies ${range}`);
  const parsed = JSON.parse(out);
  const all = Array.isArray(parsed) ? parsed : [parsed];
  const versions = all.filter(release).length > 0 ? all.filter(release) : all;
  return versions.sort(byVersion);
}

const pick = (versions, mode) => (mode === 'lowest' ? versions[0] : versions[versions.length - 1]);

/** `[{ name, range, version, why }]`: the version each peer (and the `prisma` CLI) is tested at. */
function plan(mode, set) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const peers = pkg.peerDependencies ?? {};
  const chosen = new Map();
  const family = PRISMA_FAMILY.filter((n) => n in peers);
  for (const [name, range] of Object.entries(peers)) {
    if (name === SCHEMA_WASM || family.includes(name) || set.has(name)) continue;
    chosen.set(name, { name, range, version: pick(published(name, range), mode), why: `${mode} in range` });
  }
  for (const [name, version] of set)
    chosen.set(name, { name, range: peers[name] ?? '-', version, why: '--set' });

  // One Prisma version for the generator, the client and the adapter: the lowest (highest) version
  // published for all three inside the client's and the adapter's ranges.
  if (family.length > 0) {
    let version = set.get('prisma') ?? set.get('@prisma/client');
    if (version === undefined) {
      const lists = [
        ...family.map((n) => published(n, peers[n])),
        published('prisma', peers['@prisma/client'] ?? peers[family[0]]),
      ];
      const common = lists[0].filter((v) => lists.every((l) => l.includes(v)));
      if (common.length === 0)
        throw new Error(`no version of ${family.join(', ')} and prisma is published for all`);
      version = pick(common, mode);
    }
    for (const n of [...family, 'prisma']) {
      if (!set.has(n))
        chosen.set(n, {
          name: n,
          range: peers[n] ?? '(CLI)',
          version,
          why: `${mode} published for ${family.join(', ')} and prisma`,
        });
    }
    if (SCHEMA_WASM in peers) {
      const engines = JSON.parse(npm(['view', `@prisma/engines@${version}`, 'dependencies', '--json']));
      const wasm = set.get(SCHEMA_WASM) ?? engines['@prisma/engines-version'];
      chosen.set(SCHEMA_WASM, {
        name: SCHEMA_WASM,
        range: 'exact',
        version: wasm,
        why: `the engines build of prisma ${version}`,
      });
    }
  }
  return [...chosen.values()];
}

const SKIP = new Set(['node_modules', '.git', '.dbkit', 'dist', 'coverage', 'generated']);

/** The files to copy: git's tracked and untracked-but-not-ignored ones, or (outside git) all but SKIP. */
function sourceFiles() {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status === 0) return r.stdout.split('\0').filter(Boolean);
  const files = [];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  walk('');
  return files;
}

/** Copies the work tree (no node_modules, no generated code) to DEST; returns how many files. */
function copyTree(dest) {
  let n = 0;
  for (const file of sourceFiles()) {
    const from = path.join(root, file);
    let stat;
    try {
      stat = lstatSync(from);
    } catch {
      continue; // deleted in the work tree
    }
    if (!stat.isFile()) continue;
    const to = path.join(dest, file);
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, stat.mode);
    n++;
  }
  return n;
}

function installedVersion(dir, key) {
  try {
    return JSON.parse(readFileSync(path.join(dir, key, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * Checks every installed package's peerDependencies on the chosen packages with the copy's own
 * `semver`. Prints each unmet one; returns how many involve a package that is itself one of dbkit's
 * peers (or the `prisma` CLI), i.e. what `npm install` of those peers at these versions refuses.
 * Others (a benchmark's devDependency wanting another major) are printed as notes.
 */
function checkPeers(dir, versions, log) {
  let semver;
  try {
    semver = createRequire(path.join(dir, 'package.json'))('semver');
  } catch {
    log('peer check skipped: no `semver` package in the copy');
    return 0;
  }
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')).packages ?? {};
  const chosen = new Set(versions.map((v) => v.name));
  const ours = new Set([...chosen, 'prisma']);
  let conflicts = 0;
  for (const [key, entry] of Object.entries(lock)) {
    if (!key.startsWith('node_modules/')) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    for (const [peer, range] of Object.entries(entry.peerDependencies ?? {})) {
      if (!chosen.has(peer)) continue;
      // Node's resolution from KEY: its own node_modules, then each parent's, then the top.
      let found;
      for (let at = key; found === undefined;) {
        found = installedVersion(dir, `${at}/node_modules/${peer}`);
        const up = at.lastIndexOf('/node_modules/');
        if (up === -1) {
          found ??= installedVersion(dir, `node_modules/${peer}`);
          break;
        }
        at = at.slice(0, up);
      }
      if (found === undefined) continue; // an optional peer not installed
      if (semver.satisfies(found, range, { includePrerelease: true })) continue;
      const mine = ours.has(name);
      if (mine) conflicts++;
      log(
        `${mine ? 'PEER CONFLICT' : 'note'}: ${name}@${entry.version} wants ${peer}@"${range}", gets ${found}` +
          (mine
            ? ' (npm refuses to install these together)'
            : " (a devDependency only, not one of dbkit's peers)"),
      );
    }
  }
  // dbkit's own ranges: by construction they hold, except where a version was forced (--set, or the
  // schema wasm following Prisma): then a user installing that version gets npm's ERESOLVE from dbkit.
  const own = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).peerDependencies ?? {};
  for (const v of versions) {
    const range = own[v.name];
    if (range !== undefined && !semver.satisfies(v.version, range, { includePrerelease: true })) {
      log(`note: dbkit's own peer range ${v.name}@"${range}" does not admit ${v.version}`);
    }
  }
  return conflicts;
}

function main(argv) {
  const opts = parseArgs(argv);
  const log = (line) => console.log(`[${opts.mode}] ${line}`);
  const started = Date.now();
  const versions = plan(opts.mode, opts.set);
  log(`${opts.mode} versions of the peer dependency ranges:`);
  for (const v of versions) log(`  ${v.name.padEnd(28)} ${v.range.padEnd(24)} -> ${v.version}  (${v.why})`);
  if (opts.plan) return 0;

  const dir = mkdtempSync(path.join(tmpdir(), `dbkit-${opts.mode}-`));
  let status = 1;
  let counts = { passed: 0, failed: 1, skipped: 0, complete: false };
  let conflicts = 0;
  try {
    log(`copied ${copyTree(dir)} files to ${dir}`);
    const pkgPath = path.join(dir, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    for (const v of versions) {
      if (pkg.devDependencies?.[v.name] === undefined) log(`  (${v.name} is not a devDependency: added)`);
      pkg.devDependencies = { ...pkg.devDependencies, [v.name]: v.version };
    }
    writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);

    // --legacy-peer-deps: install what was asked even where peers disagree, then say exactly where
    // they do (checkPeers) instead of npm's ERESOLVE or its silent "overriding peer dependency".
    log('npm install --legacy-peer-deps');
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (install.status !== 0) throw new Error(`npm install exited with ${install.status}`);
    const wrong = versions.filter((v) => installedVersion(dir, `node_modules/${v.name}`) !== v.version);
    if (wrong.length > 0) {
      throw new Error(
        `node_modules does not hold the chosen version of ${wrong.map((v) => v.name).join(', ')}`,
      );
    }
    conflicts = checkPeers(dir, versions, log);
    log(
      `installed in ${Math.round((Date.now() - started) / 1000)} s; npm test${opts.testArgs.length ? ` -- ${opts.testArgs.join(' ')}` : ''}`,
    );

    const report = path.join(dir, '.dbkit', 'peer-versions-results.json');
    const run = spawnSync('npm', ['test', ...(opts.testArgs.length ? ['--', ...opts.testArgs] : [])], {
      cwd: dir,
      env: { ...process.env, DBKIT_TEST_REPORT: report },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    status = run.status ?? 1;
    counts = countResults(report, status);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
  } finally {
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  // A peer conflict between dbkit's own peers is what a user installing them would hit: a failure.
  counts = { ...counts, failed: counts.failed + conflicts };
  const ok = status === 0 && counts.failed === 0;
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`${opts.mode} peer versions: ${formatCounts(counts)} in ${seconds} s${ok ? '' : ' (FAILED)'}`);
  if (opts.summary) {
    const summary = {
      ok,
      seconds,
      ...counts,
      peerConflicts: conflicts,
      versions: Object.fromEntries(versions.map((v) => [v.name, v.version])),
    };
    writeFileSync(opts.summary, `${JSON.stringify(summary, null, 2)}\n`);
  }
  return ok ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`ci-peer-versions: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
