// Reads migration folders in Prisma's layout: <dir>/<timestamp>_<name>/migration.sql, in name order.
import { readdir, readFile } from 'node:fs/promises';
import { migrationChecksumOf } from '../../core/internal.js';
import { join } from 'node:path';

/** One migration folder as found on disk. */
export interface MigrationFile {
  /** The folder name, e.g. `20261123021715_init`; Prisma's `migration_name`. */
  name: string;
  sql: string;
  /** Hex SHA-256 of the file's bytes, as Prisma records it in `_prisma_migrations.checksum`. */
  checksum: string;
}

function hexUnpadded(checksum: string): string {
  return checksum.replace(/../gu, (byte) => byte.replace(/^0/u, ''));
}

/**
 * Whether a recorded checksum matches a migration script, as Prisma's schema engine decides it
 * (`script_matches_checksum` in prisma-engines `schema-connector/src/checksum.rs`): the script as is,
 * with CRLF turned into LF, or with LF turned into CRLF, so a checkout with other line endings is not
 * "changed"; a checksum that is not 64 characters long is compared in the old unpadded hex format.
 *
 * @example
 * ```ts
 * migrationChecksumMatches('SELECT 1;\r\n', migrationChecksumOf('SELECT 1;\n')) // true
 * ```
 */
export function migrationChecksumMatches(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const hex = migrationChecksumOf(variant);
    return checksum.length !== 0 && checksum.length !== 64 ? hexUnpadded(hex) === checksum : hex === checksum;
  });
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
    out.push({ name, sql: bytes.toString('utf8'), checksum: migrationChecksumOf(bytes) });
  }
  return out;
}
