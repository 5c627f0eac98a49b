// A fresh consumer project outside the repository: the packed tarball installed with npm, the docs'
// snippets as files, strict TypeScript over them, and a way to run the runnable ones with tsx.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeBlock } from './markdown.js';
import { docFolder, isTypeScript, snippetPath } from './markdown.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const repoModules = join(repoRoot, 'node_modules');

/**
 * What a user's `tsconfig.json` says when they turn everything on: the flags the docs must survive.
 *
 * @example
 * ```ts
 * CONSUMER_TSCONFIG.compilerOptions.exactOptionalPropertyTypes; // true
 * ```
 */
export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['**/*.ts'],
  exclude: ['node_modules'],
} as const;

/**
 * Packages every consumer project gets besides the ones the snippets import: the tools, the
 * generated Prisma Client's runtime, and the schema parser `checkDrift` loads (docs/prisma.md, Set up).
 */
const ALWAYS = ['typescript', 'tsx', '@types/node', '@prisma/client', '@prisma/prisma-schema-wasm'];

/** The result of a child process. */
export interface Ran {
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
}

/**
 * Runs a command without a shell, collecting stdout and stderr together; never rejects on a
 * non-zero exit, only on a time-out (the child is killed).
 *
 * @example
 * ```ts
 * const { code, output } = await exec('npm', ['--version'], { cwd: tmpdir() });
 * ```
 */
export function exec(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${command} ${args.join(' ')} took over ${options.timeoutMs} ms:\n${output}`));
          }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, ms: Math.round(performance.now() - started) });
    });
  });
}

/** The npm package a bare import specifier names (`@aws-sdk/lib-dynamodb/x` -> `@aws-sdk/lib-dynamodb`). */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages the snippets import, except dbkit itself. */
export function importedPackages(blocks: readonly CodeBlock[]): string[] {
  const names = new Set<string>();
  for (const block of blocks.filter(isTypeScript)) {
    for (const m of block.code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const name = packageOf(m[1] ?? '');
      if (name !== undefined && name !== 'dbkit') names.add(name);
    }
  }
  return [...names].sort();
}

/** A consumer project ready to compile: where it is and how long each step took. */
export interface ConsumerProject {
  readonly dir: string;
  readonly tarball: string;
  readonly linked: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Packs the package (scripts/pack.mjs), installs the tarball with npm into a new project under the
 * OS temporary directory, links the peers and tools the snippets need from this repository's
 * node_modules (no network), writes every block into it and generates the Prisma Client from the
 * docs' schema when they have one.
 *
 * @example
 * ```ts
 * const project = await createConsumerProject(docBlocks(repoRoot));
 * ```
 */
export async function createConsumerProject(blocks: readonly CodeBlock[]): Promise<ConsumerProject> {
  const timings: Record<string, number> = {};
  const base = mkdtempSync(join(tmpdir(), 'dbkit-consumer-'));
  const dir = join(base, 'project');
  mkdirSync(dir);

  const packArgs = ['scripts/pack.mjs', '--out', join(base, 'pack'), '--json'];
  if (process.env['DBKIT_CONSUMER_ALLOW_TYPE_ERRORS'] === '1') packArgs.push('--allow-type-errors');
  const packed = await exec(process.execPath, packArgs, { cwd: repoRoot, timeoutMs: 120_000 });
  timings['pack'] = packed.ms;
  if (packed.code !== 0) throw new Error(`scripts/pack.mjs failed:\n${packed.output}`);
  const { tarball } = JSON.parse(packed.output.trim().split('\n').at(-1) ?? '{}') as { tarball: string };

  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'dbkit-consumer', private: true, type: 'module', dependencies: { dbkit: `file:${tarball}` } }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(CONSUMER_TSCONFIG, null, 2)}\n`);
  // From the npm cache that `npm ci` filled; the network only for what the cache lacks.
  const installed = await exec(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    { cwd: dir, timeoutMs: 120_000 },
  );
  timings['npm install'] = installed.ms;
  if (installed.code !== 0) throw new Error(`npm install of ${tarball} failed:\n${installed.output}`);

  // Peers (the drivers the README's install section lists), tools and what the snippets import:
  // links into this repository's node_modules, installed by `npm ci` (no network).
  const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', 'dbkit', 'package.json'), 'utf8')) as {
    peerDependencies?: Record<string, string>;
  };
  const peers = Object.keys(manifest.peerDependencies ?? {});
  const linked: string[] = [];
  for (const name of new Set([...ALWAYS, ...peers, ...importedPackages(blocks)])) {
    const types = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
    for (const candidate of [name, types]) {
      const target = join(dir, 'node_modules', candidate);
      if (!existsSync(join(repoModules, candidate)) || existsSync(target)) continue;
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(repoModules, candidate), target, 'dir');
      linked.push(candidate);
    }
  }

  // Each doc's snippets in their own folder, which sees the project-level files (prisma/, the
  // generated client) as if they were beside it.
  const shared = new Set<string>();
  for (const block of blocks) {
    if (!isTypeScript(block) && block.file === undefined) continue;
    const path = join(dir, snippetPath(block));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, block.code);
    if (!isTypeScript(block) && block.file !== undefined) shared.add(block.file.split('/')[0] ?? block.file);
  }
  const schema = blocks.find((b) => b.file?.endsWith('.prisma'));
  if (schema?.file !== undefined) {
    timings['prisma generate'] = await prismaGenerate(dir, schema.file);
    shared.add('generated');
  }
  for (const folder of new Set(blocks.filter(isTypeScript).map((b) => docFolder(b.doc)))) {
    for (const name of shared) {
      const link = join(dir, folder, name);
      if (!existsSync(link) && existsSync(join(dir, name))) symlinkSync(join('..', name), link);
    }
  }
  writeFileSync(join(dir, 'check-types.mjs'), CHECK_TYPES);
  writeFileSync(
    join(dir, 'run-snippet.mjs'),
    [
      '// Imports one snippet module (through tsx) and exits when its top-level code has finished.',
      "import { pathToFileURL } from 'node:url';",
      "import { resolve } from 'node:path';",
      'try {',
      '  await import(pathToFileURL(resolve(process.argv[2])).href);',
      '  process.exit(0);',
      '} catch (error) {',
      '  console.error(error);',
      '  process.exit(1);',
      '}',
      '',
    ].join('\n'),
  );
  return { dir, tarball, linked, timings };
}

/** Generates the Prisma Client from the docs' schema, offline (as scripts/prisma-generate.mjs does). */
async function prismaGenerate(dir: string, schemaFile: string): Promise<number> {
  const stub = join(dir, '.prisma-schema-engine-stub');
  writeFileSync(stub, '#!/bin/sh\necho "no schema engine in the consumer test" >&2\nexit 1\n', {
    mode: 0o755,
  });
  const ran = await exec(
    process.execPath,
    [join(repoModules, 'prisma', 'build', 'index.js'), 'generate', '--schema', schemaFile, '--no-hints'],
    {
      cwd: dir,
      env: {
        ...process.env,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        PRISMA_SCHEMA_ENGINE_BINARY: process.env['PRISMA_SCHEMA_ENGINE_BINARY'] ?? stub,
      },
      timeoutMs: 60_000,
    },
  );
  if (ran.code !== 0) throw new Error(`prisma generate --schema ${schemaFile} failed:\n${ran.output}`);
  return ran.ms;
}

/** One compiler message, located in the project. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/**
 * Type-checks the whole project in one TypeScript program (the project's own `typescript`, its
 * tsconfig.json) and groups the errors by file (project-relative paths). Unlike `tsc`, which stops
 * at syntax errors when any file has one, every file gets its syntactic and semantic diagnostics.
 *
 * @example
 * ```ts
 * const { byFile } = await compileProject(project.dir);
 * byFile.get('readme/L52.ts'); // undefined when it compiled
 * ```
 */
export async function compileProject(
  dir: string,
): Promise<{ byFile: Map<string, Diagnostic[]>; ms: number }> {
  const ran = await exec(process.execPath, [join(dir, 'check-types.mjs')], { cwd: dir, timeoutMs: 240_000 });
  if (ran.code !== 0) throw new Error(`type-checking the consumer project failed:\n${ran.output}`);
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of JSON.parse(ran.output) as Diagnostic[])
    byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  return { byFile, ms: ran.ms };
}

const CHECK_TYPES = `// Type-checks this project as tsc -p . would, reporting every file's errors as JSON.
import ts from 'typescript';
import { relative } from 'node:path';

const dir = process.cwd();
const config = ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\\n')); } });
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const out = [];
const add = (d) => {
  const text = 'TS' + d.code + ': ' + ts.flattenDiagnosticMessageText(d.messageText, '\\n');
  if (d.file === undefined || d.start === undefined) return out.push({ file: '', line: 0, column: 0, text });
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  out.push({ file: relative(dir, d.file.fileName), line: line + 1, column: character + 1, text });
};
for (const d of [...config.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) add(d);
for (const file of program.getSourceFiles()) {
  if (program.isSourceFileFromExternalLibrary(file) || file.isDeclarationFile) continue;
  for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)])
    if (d.category === ts.DiagnosticCategory.Error) add(d);
}
process.stdout.write(JSON.stringify(out));
`;

/**
 * Runs one snippet with tsx from its doc's folder (so `dbkit` is the installed tarball and relative
 * paths such as `prisma/migrations` resolve as in a user's project); resolves with its exit code
 * and output. The snippet is done when its top-level code is (open clients do not keep it alive).
 *
 * @example
 * ```ts
 * const ran = await runSnippet(project.dir, block, { DYNAMODB_ENDPOINT: url });
 * ```
 */
export function runSnippet(
  dir: string,
  block: CodeBlock,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Ran> {
  const path = join(dir, snippetPath(block));
  return exec(process.execPath, ['--import', 'tsx', join(dir, 'run-snippet.mjs'), path], {
    cwd: dirname(path),
    env: { ...process.env, ...env },
    timeoutMs,
  });
}

/** The snippet's text with line numbers as they are in its doc, for failure messages. */
export function numbered(block: CodeBlock, around?: number): string {
  const lines = block.code.trimEnd().split('\n');
  return lines
    .map((text, i) => ({ text, n: i + 1 }))
    .filter(({ n }) => around === undefined || Math.abs(n - around) <= 2)
    .map(({ text, n }) => `${String(block.line + n).padStart(5)} | ${text}`)
    .join('\n');
}
