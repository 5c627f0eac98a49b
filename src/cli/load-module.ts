// Loads the user's modules (configs, migration files): .js/.mjs natively, .ts/.mts through tsx when it is installed.
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A mistake in the command line or the config: exit code 2. */
export class UsageError extends Error {}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

let tsImport: ((specifier: string, parent: string) => Promise<unknown>) | undefined;

async function typescriptImporter(file: string): Promise<(url: string) => Promise<unknown>> {
  if (tsImport === undefined) {
    try {
      // A variable specifier: tsx is the user's optional dev dependency, not dbkit's.
      const tsx = 'tsx/esm/api';
      const api = (await import(tsx)) as {
        tsImport: (specifier: string, parent: string) => Promise<unknown>;
      };
      tsImport = api.tsImport;
    } catch {
      throw new UsageError(`${file} is TypeScript: install tsx (npm i -D tsx) or point at a .js/.mjs build`);
    }
  }
  const load = tsImport;
  return (url) => load(url, import.meta.url);
}

/**
 * Imports a module by URL, through tsx when the file is TypeScript: what migration folders are loaded with.
 *
 * @example
 * ```ts
 * const mod = await importModule(pathToFileURL('migrations/20261202_add.ts').href)
 * ```
 */
export async function importModule(url: string): Promise<unknown> {
  const path = new URL(url).pathname;
  if (TYPESCRIPT.has(extname(path))) return (await typescriptImporter(path))(url);
  return import(url);
}

/**
 * Imports a file given on the command line; a missing file is a usage error.
 *
 * @example
 * ```ts
 * const config = await loadModule('dbkit.config.ts')
 * ```
 */
export async function loadModule(path: string): Promise<unknown> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`file not found: ${path}`);
  return importModule(pathToFileURL(file).href);
}
