// Reads migration folders in Prisma's layout: <dir>/<timestamp>_<name>/migration.sql, in name order.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One migration folder as found on disk. */
export interface MigrationFile {
  /** The folder name, e.g. `20261123021715_init`; Prisma's `migration_name`. */
  name: string;
  sql: string;
  /** Hex SHA-256 of the file's bytes, as Prisma records it in `_prisma_migrations.checksum`. */
  checksum: string;
}

/**
 * Hex SHA-256 of a migration file, the checksum `prisma migrate deploy` records.
 *
 * @example
 * ```ts
 * migrationChecksum(await readFile('prisma/migrations/20261123_init/migration.sql'))
 * ```
 */
export function migrationChecksum(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Lists the migrations under `dir`, sorted by folder name (Prisma's timestamps sort in time order).
 * Folders without a `migration.sql` are ignored, as Prisma ignores them.
 *
 * @example
 * ```ts
 * const files = await readMigrations('prisma/migrations')
 * ```
 */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const out: MigrationFile[] = [];
  for (const name of folders) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name, 'migration.sql'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    out.push({ name, sql: bytes.toString('utf8'), checksum: migrationChecksum(bytes) });
  }
  return out;
}
