// Names the fields behind a unique or foreign-key violation, which Prisma 7 under driver adapters no longer reports in `meta.target`.
import type { DriverErrorCause } from './errors.js';

/** A model as the error mapper needs it: its table and each scalar field's column. */
export interface ModelInfo {
  name: string;
  table: string;
  /** Scalar fields in declaration order. */
  fields: readonly { name: string; column: string }[];
}

/** Looks models up by Prisma name or by table name. */
export interface ModelCatalog {
  byModel(name: string): ModelInfo | undefined;
  byTable(table: string): ModelInfo | undefined;
}

interface RuntimeField {
  name: string;
  kind: string;
  dbName?: string | null;
}
interface RuntimeModel {
  fields: readonly RuntimeField[];
  dbName?: string | null;
}

/**
 * Builds a catalog from a Prisma client's runtime data model (`client._runtimeDataModel`), which keeps
 * `@map` / `@@map` names; an empty catalog when the shape is not recognised.
 *
 * @example
 * ```ts
 * const catalog = modelCatalog((prisma as unknown as { _runtimeDataModel: unknown })._runtimeDataModel)
 * catalog.byTable('User')?.fields.map((f) => f.name) // ['id', 'name', 'email', …]
 * ```
 */
export function modelCatalog(runtimeDataModel: unknown): ModelCatalog {
  const models = new Map<string, ModelInfo>();
  const tables = new Map<string, ModelInfo>();
  const raw = (runtimeDataModel as { models?: Record<string, RuntimeModel> } | undefined)?.models ?? {};
  for (const [name, model] of Object.entries(raw)) {
    if (!Array.isArray(model.fields)) continue;
    const fields: readonly RuntimeField[] = model.fields;
    const info: ModelInfo = {
      name,
      table: model.dbName ?? name,
      fields: fields
        .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
        .map((f) => ({ name: f.name, column: f.dbName ?? f.name })),
    };
    models.set(name, info);
    tables.set(info.table, info);
  }
  return { byModel: (n) => models.get(n), byTable: (t) => tables.get(t) };
}

function unquote(column: string): string {
  const t = column.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replaceAll('""', '"') : t;
}

/** Column names → field names (a column without a field keeps its name). */
export function columnsToFields(columns: readonly string[], model: ModelInfo | undefined): string[] {
  return columns.map((c) => {
    const column = unquote(c);
    return model?.fields.find((f) => f.column === column)?.name ?? column;
  });
}

/**
 * Recovers the columns from a constraint name Prisma generated: `{table}_{col…}_key` (unique),
 * `{table}_{col…}_idx`, `{table}_{col…}_fkey`, `{table}_pkey`. Columns with underscores are matched
 * against the model's known columns; `undefined` when the name does not follow the convention.
 *
 * @example
 * ```ts
 * columnsFromConstraintName('Membership_orgId_userId_key', membership) // ['orgId', 'userId']
 * ```
 */
export function columnsFromConstraintName(name: string, model: ModelInfo): string[] | undefined {
  const prefix = `${model.table}_`;
  if (!name.startsWith(prefix)) return undefined;
  const body = name.slice(prefix.length);
  if (body === 'pkey') return undefined;
  const suffix = /_(key|idx|fkey)$/.exec(body);
  if (suffix === null) return undefined;
  const joined = body.slice(0, suffix.index);
  const known = model.fields.map((f) => f.column).sort((a, b) => b.length - a.length);
  const split = (rest: string): string[] | undefined => {
    if (rest === '') return [];
    for (const column of known) {
      if (rest === column) return [column];
      if (rest.startsWith(`${column}_`)) {
        const tail = split(rest.slice(column.length + 1));
        if (tail !== undefined) return [column, ...tail];
      }
    }
    return undefined;
  };
  return split(joined);
}

/** Columns of constraints already looked up by name, read synchronously by the error mapper. */
export type KnownConstraintColumns = (constraintName: string) => readonly string[] | undefined;

/**
 * The fields behind a constraint violation, from what the adapter carried: the PGlite adapter names
 * the columns (`constraint.fields`), `@prisma/adapter-pg` names the constraint (`constraint.index`),
 * which is mapped back through Prisma's naming convention and, failing that, the columns `known`
 * from a catalog lookup (see {@link constraintToLookUp}). Empty when nothing identifies them.
 *
 * @example
 * ```ts
 * conflictFieldsFrom(facts.driver, catalog.byModel('User'), known) // ['email']
 * ```
 */
export function conflictFieldsFrom(
  cause: DriverErrorCause | undefined,
  model: ModelInfo | undefined,
  known?: KnownConstraintColumns,
): string[] {
  const constraint = cause?.constraint;
  if (constraint?.fields !== undefined && constraint.fields.length > 0)
    return columnsToFields(constraint.fields, model);
  const name = constraintName(cause);
  if (name === undefined) return [];
  const byConvention = model === undefined ? undefined : columnsFromConstraintName(name, model);
  if (byConvention !== undefined) return columnsToFields(byConvention, model);
  const columns = known?.(name);
  return columns === undefined ? [] : columnsToFields(columns, model);
}

/**
 * The constraint whose columns only a catalog query can tell (its name does not follow Prisma's
 * convention and the adapter named no columns), else `undefined`.
 *
 * @example
 * ```ts
 * constraintToLookUp({ kind: 'UniqueConstraintViolation', constraint: { index: 'users_email_uq' } }, user) // 'users_email_uq'
 * ```
 */
export function constraintToLookUp(
  cause: DriverErrorCause | undefined,
  model: ModelInfo | undefined,
): string | undefined {
  const constraint = cause?.constraint;
  if (constraint?.fields !== undefined && constraint.fields.length > 0) return undefined;
  const name = constraintName(cause);
  if (name === undefined) return undefined;
  if (model !== undefined && columnsFromConstraintName(name, model) !== undefined) return undefined;
  return name;
}

function constraintName(cause: DriverErrorCause | undefined): string | undefined {
  return cause?.constraint?.index ?? constraintNameFromMessage(cause?.originalMessage);
}

function constraintNameFromMessage(message: string | undefined): string | undefined {
  return message === undefined ? undefined : /constraint "([^"]+)"/.exec(message)?.[1];
}
