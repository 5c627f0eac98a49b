// Loads Prisma's own schema engine (the Wasm build, @prisma/schema-engine-wasm) and feeds it a migrations folder, offline.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UnsupportedError } from '../../core/internal.js';

/** A migrations folder as Prisma's schema engine takes it (`MigrationList` in @prisma/schema-engine-wasm). */
export interface EngineMigrationList {
  baseDir: string;
  lockfile: { path: string; content: string | null };
  shadowDbInitScript: string;
  migrationDirectories: {
    path: string;
    migrationFile: { path: string; content: { tag: 'ok' | 'error'; value: string } };
  }[];
}

/** The schema-engine methods dbkit uses; the Wasm package's types are not needed at compile time. */
export interface PrismaSchemaEngine {
  applyMigrations(input: { migrationsList: EngineMigrationList; filters: EngineFilters }): Promise<{
    appliedMigrationNames: string[];
  }>;
  createMigration(input: {
    draft: boolean;
    migrationName: string;
    migrationsList: EngineMigrationList;
    schema: { files: { path: string; content: string }[] };
    filters: EngineFilters;
  }): Promise<{
    generatedMigrationName: string;
    migrationScript: string | null;
    extension: string;
    connectorType: string;
  }>;
  diagnoseMigrationHistory(input: {
    migrationsList: EngineMigrationList;
    optInToShadowDatabase: boolean;
    filters: EngineFilters;
  }): Promise<{
    editedMigrationNames: string[];
    failedMigrationNames: string[];
    hasMigrationsTable: boolean;
    history: { diagnostic: string; [key: string]: unknown } | null;
  }>;
  diff(input: {
    from: { tag: 'migrations' } & EngineMigrationList;
    to: { tag: 'schemaDatamodel'; files: { path: string; content: string }[] };
    script: boolean;
    exitCode: boolean;
    filters: EngineFilters;
  }): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

/** Prisma's schema filter; dbkit always passes none. */
export interface EngineFilters {
  externalTables: string[];
  externalEnums: string[];
}

/** The empty schema filter. */
export const NO_FILTERS: EngineFilters = { externalTables: [], externalEnums: [] };

interface WasmGlue {
  __wbg_set_wasm(exports: Record<string, unknown>): void;
  SchemaEngine: {
    new: (
      options: { datamodels: [string, string][] },
      log: (line: string) => void,
      adapter: object,
    ) => Promise<PrismaSchemaEngine>;
  };
}

let glue: Promise<WasmGlue> | undefined;

function missing(pkg: string, err: unknown): UnsupportedError {
  return new UnsupportedError(
    `Prisma's schema engine needs ${pkg}; install it as a dev dependency (npm install -D ${pkg}, at the engines version of your prisma package for @prisma/schema-engine-wasm).`,
    { feature: 'prismaSchemaEngine', code: 'unsupported.prismaSchemaEngine', cause: err },
  );
}

// The WebAssembly global, typed here: the project compiles without the DOM library.
function wasmApi(): {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
} {
  return (globalThis as unknown as { WebAssembly: ReturnType<typeof wasmApi> }).WebAssembly;
}

async function loadGlue(): Promise<WasmGlue> {
  // The package's entry imports the .wasm as an ES module, which Node 20 does not do without a flag:
  // instantiate the bytes here and hand them to the wasm-bindgen glue, as its entry would.
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm'));
  } catch (err) {
    throw missing('@prisma/schema-engine-wasm', err);
  }
  const bindings = (await import(join(dir, 'schema_engine_bg.js'))) as WasmGlue & Record<string, unknown>;
  const bytes = await readFile(join(dir, 'schema_engine_bg.wasm'));
  const { instance } = await wasmApi().instantiate(bytes, { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports['__wbindgen_start'] as (() => void) | undefined)?.();
  return bindings;
}

/**
 * Starts Prisma's schema engine (Wasm) over a migration-aware driver adapter factory, such as
 * `new PrismaPg(...)` (from `@prisma/adapter-pg`) or `new PrismaPGlite(pglite)` (from
 * `pglite-prisma-adapter`, whose shadow database is a fresh in-memory PGlite). Offline: nothing is
 * downloaded. Throws `UnsupportedError` when `@prisma/schema-engine-wasm` is not installed.
 *
 * @example
 * ```ts
 * const engine = await openSchemaEngine(new PrismaPGlite(new PGlite()), schemaText)
 * await engine.applyMigrations({ migrationsList: await engineMigrationList('prisma/migrations'), filters: NO_FILTERS })
 * ```
 */
export async function openSchemaEngine(
  adapterFactory: object,
  datamodel: string,
  log: (line: string) => void = () => undefined,
): Promise<PrismaSchemaEngine> {
  glue ??= loadGlue();
  let bindings: WasmGlue;
  try {
    bindings = await glue;
  } catch (err) {
    glue = undefined;
    throw err;
  }
  let utils: { bindMigrationAwareSqlAdapterFactory(factory: object): object };
  try {
    utils = await import('@prisma/driver-adapter-utils');
  } catch (err) {
    throw missing('@prisma/driver-adapter-utils', err);
  }
  return bindings.SchemaEngine.new(
    { datamodels: [['schema.prisma', datamodel]] },
    log,
    utils.bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
}

/**
 * Reads a migrations folder the way the Prisma CLI hands it to the schema engine: `migration_lock.toml`
 * (or none), every sub-folder with its `migration.sql` as UTF-8 text, sorted by name.
 *
 * @example
 * ```ts
 * const list = await engineMigrationList('prisma/migrations')
 * ```
 */
export async function engineMigrationList(dir: string): Promise<EngineMigrationList> {
  const lock = await readFile(join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories: EngineMigrationList['migrationDirectories'] = [];
  for (const path of folders) {
    const content = await readFile(join(dir, path, 'migration.sql'), 'utf8').then(
      (value) => ({ tag: 'ok' as const, value }),
      (err: unknown) => ({ tag: 'error' as const, value: err instanceof Error ? err.message : String(err) }),
    );
    migrationDirectories.push({ path, migrationFile: { path: 'migration.sql', content } });
  }
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lock },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}
