// The catalog query for the columns of a constraint whose name does not follow Prisma's convention, cached per client, so the error mapper can name the fields of a conflict.
import { constraintToLookUp } from './conflict-fields.js';
import type { KnownConstraintColumns, ModelCatalog } from './conflict-fields.js';
import { prismaErrorFacts } from './errors.js';

/** The catalog query behind {@link constraintLookup}: a constraint's columns, else an index's. */
export const CONSTRAINT_COLUMNS_SQL = `
SELECT "column" FROM (
  SELECT a.attname AS "column", k.ord FROM pg_constraint c
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
    WHERE c.conname = $1 AND c.connamespace = current_schema()::regnamespace
  UNION ALL
  SELECT a.attname, k.ord FROM pg_class i
    JOIN pg_index x ON x.indexrelid = i.oid
    CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE i.relname = $1 AND i.relnamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c2 WHERE c2.conname = $1 AND c2.connamespace = i.relnamespace)
) s ORDER BY ord`;

const LOOKUP_TIMEOUT_MS = 1_000;

/** A client that runs raw SQL (any Prisma client). */
export interface RawQueryClient {
  $queryRawUnsafe(sql: string, ...values: unknown[]): PromiseLike<unknown>;
}

/** Constraint columns looked up on demand and remembered, read synchronously by the error mapper. */
export interface ConstraintLookup {
  /** The columns of a constraint looked up before, else `undefined`. */
  readonly known: KnownConstraintColumns;
  /**
   * When `err` is a unique or foreign-key violation whose fields only the catalog can tell, looks
   * the constraint up (at most 1 s, once per name) so that {@link ConstraintLookup.known} has it.
   * Never throws; the error itself is left to the mapper.
   */
  prepare(err: unknown, model: string | undefined): Promise<void>;
}

/**
 * The lookup over one client's connection; `undefined` client: nothing is ever looked up.
 *
 * @example
 * ```ts
 * const lookup = constraintLookup(prisma, catalog)
 * await lookup.prepare(err, 'User') // then lookup.known('users_email_uq') → ['email']
 * ```
 */
export function constraintLookup(
  client: RawQueryClient | undefined,
  catalog: ModelCatalog,
): ConstraintLookup {
  const settled = new Map<string, readonly string[] | undefined>();
  const pending = new Map<string, Promise<void>>();
  const query = (name: string): Promise<readonly string[] | undefined> => {
    if (client === undefined) return Promise.resolve(undefined);
    const rows = Promise.resolve(client.$queryRawUnsafe(CONSTRAINT_COLUMNS_SQL, name)).then((found) =>
      Array.isArray(found) && found.length > 0
        ? found.map((r) => String((r as { column: unknown }).column))
        : undefined,
    );
    const timeout = new Promise<undefined>((resolve) =>
      setTimeout(() => {
        resolve(undefined);
      }, LOOKUP_TIMEOUT_MS).unref(),
    );
    return Promise.race([rows, timeout]).catch(() => undefined);
  };
  return {
    known: (name) => settled.get(name),
    prepare(err, model) {
      if (client === undefined) return Promise.resolve();
      const facts = prismaErrorFacts(err);
      const kind = facts.driver?.kind;
      if (kind !== 'UniqueConstraintViolation' && kind !== 'ForeignKeyConstraintViolation')
        return Promise.resolve();
      const modelName = model ?? facts.modelName;
      const info =
        (modelName === undefined ? undefined : catalog.byModel(modelName)) ??
        (facts.driver?.table === undefined ? undefined : catalog.byTable(facts.driver.table));
      const name = constraintToLookUp(facts.driver, info);
      if (name === undefined || settled.has(name)) return Promise.resolve();
      let found = pending.get(name);
      if (found === undefined) {
        found = query(name).then((columns) => {
          settled.set(name, columns);
        });
        pending.set(name, found);
      }
      return found;
    },
  };
}
