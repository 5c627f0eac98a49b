// Every operation the Prisma module runs, declared once per engine (read or write, idempotent or not), and the one argument-dependent rule: a raw query that plainly reads.
import { declareOperations } from '../core/internal.js';
import type { Operation, OperationDeclaration } from '../core/internal.js';
import type { PrismaEngine } from './errors.js';

const read = { kind: 'read', idempotent: true } as const satisfies OperationDeclaration;
const write = { kind: 'write', idempotent: false } as const satisfies OperationDeclaration;

/**
 * Prisma's model and raw operations, and dbkit's own. Writes are never idempotent here: a create
 * retried after a lost answer would report a false conflict, an `update` with `increment` would apply
 * twice. `$queryRaw` is declared a write (it also runs `INSERT ... RETURNING`); {@link operationFor}
 * picks its read form for a statement that plainly reads.
 */
const TABLE = {
  findUnique: read,
  findUniqueOrThrow: read,
  findFirst: read,
  findFirstOrThrow: read,
  findMany: read,
  count: read,
  aggregate: read,
  groupBy: read,
  create: write,
  createMany: write,
  createManyAndReturn: write,
  update: write,
  updateMany: write,
  updateManyAndReturn: write,
  upsert: write,
  delete: write,
  deleteMany: write,
  $executeRaw: write,
  $executeRawUnsafe: write,
  $queryRaw: write,
  $queryRawUnsafe: write,
  $queryRawRead: { ...read, name: '$queryRaw' },
  $queryRawUnsafeRead: { ...read, name: '$queryRawUnsafe' },
  // dbkit's own: versioned writes and pages run the statements above (each one an operation of its
  // own); a transaction is one operation, retried only when the database rolled it back.
  updateVersioned: write,
  deleteVersioned: write,
  paginate: read,
  $transaction: write,
} as const satisfies Record<string, OperationDeclaration>;

/** The key of a declared Prisma operation. */
export type PrismaOperationName = keyof typeof TABLE;

/** The declared operations of one engine. */
export type PrismaOperations = { readonly [K in PrismaOperationName]: Operation };

// Built once at module load for both engines: the engine is part of every Operation.
const BY_ENGINE: Readonly<Record<PrismaEngine, PrismaOperations>> = {
  postgres: declareOperations('postgres', TABLE),
  pglite: declareOperations('pglite', TABLE),
};

/**
 * The declared operations of `engine`.
 *
 * @example
 * ```ts
 * prismaOperations('pglite').findMany // { engine: 'pglite', name: 'findMany', kind: 'read', idempotent: true }
 * ```
 */
export function prismaOperations(engine: PrismaEngine): PrismaOperations {
  return BY_ENGINE[engine];
}

// `$queryRaw` also runs `INSERT ... RETURNING`: only a statement that plainly reads counts as a read
// (a write that lost its connection must be reported as "outcome unknown", never as a plain failure).
const READ_ONLY_SQL = /^\s*(select|show|explain|values|table)\b/i;

function rawSqlText(args: unknown): string | undefined {
  if (Array.isArray(args)) return typeof args[0] === 'string' ? args[0] : undefined;
  if (typeof args !== 'object' || args === null) return undefined;
  const { sql, strings } = args as { sql?: unknown; strings?: unknown };
  if (typeof sql === 'string') return sql;
  return Array.isArray(strings) ? strings.join('?') : undefined;
}

// Operations Prisma may add that the table does not name: writes, never retried after an unclear failure.
const undeclared = new Map<string, Operation>();

/**
 * The declared operation Prisma's `$allOperations` hook runs for `operation` with `args`: the raw
 * queries' read form for a statement that plainly reads, a non-idempotent write for anything undeclared.
 *
 * @example
 * ```ts
 * operationFor('postgres', '$queryRaw', { strings: ['SELECT 1'] }).kind // 'read'
 * operationFor('postgres', '$queryRaw', { strings: ['INSERT INTO t VALUES (1) RETURNING id'] }).kind // 'write'
 * ```
 */
export function operationFor(engine: PrismaEngine, operation: string, args: unknown): Operation {
  const ops = BY_ENGINE[engine];
  if (operation === '$queryRaw' || operation === '$queryRawUnsafe') {
    const readOnly = READ_ONLY_SQL.test(rawSqlText(args) ?? '');
    if (!readOnly) return ops[operation];
    return operation === '$queryRaw' ? ops.$queryRawRead : ops.$queryRawUnsafeRead;
  }
  if (Object.hasOwn(ops, operation)) return ops[operation as PrismaOperationName];
  const key = `${engine}:${operation}`;
  let found = undeclared.get(key);
  if (found === undefined) {
    found = Object.freeze({ engine, name: operation, kind: 'write', idempotent: false });
    undeclared.set(key, found);
  }
  return found;
}
