// Reads a folder of migration modules (`<name>.ts|.mts|.js|.mjs`, exporting `up`) in name order, with each file's checksum.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError } from './errors.js';
import type { EngineName } from './errors.js';
import { migrationChecksumOf } from './migrations.js';
import type { Migration, MigrationRun } from './migrations.js';

const EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

/**
 * Imports one module by file URL. The default is Node's `import()`; the `dbkit` CLI passes a
 * TypeScript-aware one (tsx) so `.ts` migrations load without a build.
 *
 * @example
 * ```ts
 * const importer: ModuleImporter = (url) => import(url)
 * ```
 */
export type ModuleImporter = (url: string) => Promise<unknown>;

/**
 * @internal The importer engine targets default to: `import()`, and tsx's `tsImport` for `.ts`
 * files (tsx is the user's dev dependency, not dbkit's).
 */
export const defaultImporter: ModuleImporter = async (url) => {
  if (!TYPESCRIPT.has(extname(new URL(url).pathname))) return import(url);
  const tsx = 'tsx/esm/api';
  const api = (await import(tsx)) as { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  return api.tsImport(url, import.meta.url);
};

/**
 * @internal Writes `<dir>/<yyyyMMddHHmmss>_<slug>.ts` with `template` (never over an existing
 * file) and returns its path: what `dbkit migrate create` does for engines with code migrations.
 */
export async function writeMigrationFile(
  dir: string,
  name: string,
  template: string,
  now = new Date(),
): Promise<string> {
  const stamp = now.toISOString().replace(/\D/gu, '').slice(0, 14);
  const slug = name
    .toLowerCase()
    .replace(/[^a-z\d]+/gu, '_')
    .replace(/^_|_$/gu, '');
  const path = join(dir, `${slug === '' ? stamp : `${stamp}_${slug}`}.ts`);
  await mkdir(dir, { recursive: true });
  await writeFile(path, template, { flag: 'wx' });
  return path;
}

/** @internal Reads `dir` into migrations, sorted by file name (use a timestamp prefix). */
export async function loadMigrationFolder<Ctx>(
  dir: string,
  engine: EngineName,
  importer: ModuleImporter = (url) => import(url),
): Promise<Migration<Ctx>[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = entries.filter((f) => EXTENSIONS.has(extname(f)) && !f.endsWith('.d.ts')).sort();
  const seen = new Map<string, string>();
  const out: Migration<Ctx>[] = [];
  for (const file of files) {
    const name = file.slice(0, -extname(file).length);
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new ValidationError([{ path: [file], message: `same migration name as ${previous}` }], {
        code: 'migration.invalidFile',
        engine,
        operation: 'migrate',
        message: `Two migration files are named ${name} (${previous}, ${file}); keep one`,
      });
    }
    seen.set(name, file);
    const path = resolve(join(dir, file));
    const bytes = await readFile(path);
    const checksum = migrationChecksumOf(bytes);
    // The checksum in the URL: a file edited since an earlier load in this process is imported anew.
    const url = `${pathToFileURL(path).href}?checksum=${checksum.slice(0, 16)}`;
    const mod = (await importer(url)) as { up?: unknown; default?: { up?: unknown } };
    const up = typeof mod.up === 'function' ? mod.up : mod.default?.up;
    if (typeof up !== 'function') {
      throw new ValidationError([{ path: [file], message: 'exports no `up` function' }], {
        code: 'migration.invalidFile',
        engine,
        operation: 'migrate',
        message: `Migration ${file} exports no \`up(ctx)\` function`,
      });
    }
    const run = up as (ctx: Ctx, run: MigrationRun) => Promise<void>;
    out.push({ name, checksum, up: (ctx, r) => run(ctx, r) });
  }
  return out;
}
