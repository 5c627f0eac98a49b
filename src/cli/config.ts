// Finds and checks `dbkit.config.ts`, and picks the targets a command works on.
import { existsSync } from 'node:fs';
import type { DbkitConfig, MigrationTarget } from '../core/config.js';
import { loadModule, UsageError } from './load-module.js';

const CANDIDATES = ['dbkit.config.ts', 'dbkit.config.mts', 'dbkit.config.mjs', 'dbkit.config.js'];

const METHODS = [
  'migrationStatus',
  'deployMigrations',
  'resolveMigration',
  'createMigration',
  'close',
] as const;

function isTarget(value: unknown): value is MigrationTarget {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return METHODS.every((m) => typeof record[m] === 'function');
}

/**
 * Loads the config given by `--config`, or the first `dbkit.config.{ts,mts,mjs,js}` in the working directory.
 *
 * @example
 * ```ts
 * const config = await loadDbkitConfig(undefined) // ./dbkit.config.ts
 * ```
 */
export async function loadDbkitConfig(path: string | undefined): Promise<DbkitConfig> {
  const file = path ?? CANDIDATES.find((c) => existsSync(c));
  if (file === undefined) {
    throw new UsageError(`no config: pass --config <file> or add one of ${CANDIDATES.join(', ')} here`);
  }
  const mod = (await loadModule(file)) as { default?: unknown };
  const config = mod.default as Partial<DbkitConfig> | undefined;
  if (config === undefined || typeof config !== 'object' || config.targets === undefined) {
    throw new UsageError(`${file} must \`export default defineConfig({ targets: { ... } })\``);
  }
  for (const [name, target] of Object.entries(config.targets)) {
    if (!isTarget(target)) {
      throw new UsageError(
        `${file}: targets.${name} is not a migration target (use dynamoTarget, mongoTarget or sqlTarget)`,
      );
    }
  }
  return config as DbkitConfig;
}

/**
 * The targets named by `--target` (all of them when none is named), in config order.
 *
 * @example
 * ```ts
 * selectTargets(config, ['sql']) // [['sql', target]]
 * ```
 */
export function selectTargets(
  config: DbkitConfig,
  names: readonly string[] | undefined,
): [string, MigrationTarget][] {
  const all = Object.entries(config.targets);
  if (names === undefined || names.length === 0) {
    if (all.length === 0) throw new UsageError('the config declares no targets');
    return all;
  }
  return names.map((name) => {
    const target = config.targets[name];
    if (target === undefined) {
      throw new UsageError(`no target "${name}" in the config (it has: ${all.map(([n]) => n).join(', ')})`);
    }
    return [name, target];
  });
}
