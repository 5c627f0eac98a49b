// The Prisma operations table: reads are idempotent, writes are not, and a raw query reads only when its statement plainly reads.
import { describe, expect, it } from 'vitest';
import { operationFor, prismaOperations } from '../../src/prisma/operations.js';

describe('prisma operations', () => {
  it('declares every model read as an idempotent read and every write as a non-idempotent write', () => {
    for (const engine of ['postgres', 'pglite'] as const) {
      const ops = prismaOperations(engine);
      for (const name of ['findUnique', 'findFirst', 'findMany', 'count', 'aggregate', 'groupBy'] as const)
        expect(ops[name]).toEqual({ engine, name, kind: 'read', idempotent: true });
      for (const name of [
        'create',
        'createMany',
        'update',
        'updateMany',
        'upsert',
        'delete',
        'deleteMany',
      ] as const)
        expect(ops[name]).toEqual({ engine, name, kind: 'write', idempotent: false });
      expect(ops.$executeRaw).toMatchObject({ kind: 'write', idempotent: false });
      expect(ops.$transaction).toMatchObject({ engine, kind: 'write', idempotent: false });
    }
  });

  it('runs a raw query as a read only when its statement plainly reads', () => {
    expect(operationFor('postgres', '$queryRaw', { strings: ['SELECT ', ''] })).toMatchObject({
      name: '$queryRaw',
      kind: 'read',
      idempotent: true,
    });
    expect(operationFor('pglite', '$queryRawUnsafe', ['  explain select 1'])).toMatchObject({
      engine: 'pglite',
      name: '$queryRawUnsafe',
      kind: 'read',
    });
    expect(
      operationFor('postgres', '$queryRaw', { strings: ['INSERT INTO t VALUES (', ') RETURNING id'] }),
    ).toMatchObject({ name: '$queryRaw', kind: 'write', idempotent: false });
    expect(
      operationFor('postgres', '$queryRawUnsafe', { sql: 'WITH x AS (DELETE FROM t) SELECT 1' }),
    ).toMatchObject({
      kind: 'write',
    });
  });

  it('treats an operation the table does not name as a non-idempotent write', () => {
    const op = operationFor('postgres', '$runSomethingNew', {});
    expect(op).toEqual({ engine: 'postgres', name: '$runSomethingNew', kind: 'write', idempotent: false });
    expect(operationFor('postgres', '$runSomethingNew', {})).toBe(op);
  });
});
