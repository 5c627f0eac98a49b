// Pure functions of dbkit/prisma: error classification of every form, constraint names, shapes, redaction, keyset where.
import { describe, expect, it } from 'vitest';
import { ConnectionError, TransientError } from '../../src/core/index.js';
import {
  columnsFromConstraintName,
  keysetWhere,
  mapPrismaError,
  queryShape,
  redactParams,
} from '../../src/prisma/index.js';

function driverAdapterError(cause: Record<string, unknown>): Error {
  return Object.assign(new Error('driver error'), { name: 'DriverAdapterError', cause });
}

describe('mapPrismaError', () => {
  it('classifies a raw DriverAdapterError thrown at COMMIT as a serialization failure', () => {
    const raw = driverAdapterError({ kind: 'TransactionWriteConflict', originalCode: '40001' });
    const err = mapPrismaError(raw, { engine: 'postgres', operation: '$transaction' });
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ code: 'transient.serialization', cause: raw });
  });

  it('classifies connection failures that carry no P-code', () => {
    for (const message of [
      'Client has encountered a connection error and is not queryable',
      'PGlite is closed',
      'Cannot use a pool after calling end on the pool',
    ]) {
      expect(mapPrismaError(new Error(message))).toBeInstanceOf(ConnectionError);
    }
    const closed = Object.assign(new Error('closed'), {
      code: 'P1017',
      name: 'PrismaClientKnownRequestError',
    });
    expect(mapPrismaError(closed)).toMatchObject({
      kind: 'connection',
      code: 'connection.closed',
      retryable: true,
    });
  });

  it('never rewrites the original: it is the cause, message untouched', () => {
    const original = new Error('something odd');
    const err = mapPrismaError(original);
    expect(err.cause).toBe(original);
    expect(original.message).toBe('something odd');
    expect(err.code).toBe('prisma.unexpected');
  });
});

describe('columnsFromConstraintName', () => {
  const model = {
    name: 'Membership',
    table: 'Membership',
    fields: [
      { name: 'orgId', column: 'org_id' },
      { name: 'userId', column: 'user_id' },
    ],
  };
  it('splits columns that contain underscores using the model’s columns', () => {
    expect(columnsFromConstraintName('Membership_org_id_user_id_key', model)).toEqual(['org_id', 'user_id']);
    expect(columnsFromConstraintName('custom_name', model)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('shapes queries without values', () => {
    expect(queryShape({ where: { id: 'a', tags: ['x', 'y'] }, take: 3 })).toBe(
      '{where:{id:?,tags:[?]},take:?}',
    );
  });
  it('redacts parameters to their types', () => {
    expect(redactParams('["ada@example.com",1,null]')).toBe('[string, number, null]');
    expect(redactParams('not json')).toBe('[redacted]');
  });
  it('builds a keyset where honouring each direction', () => {
    expect(keysetWhere([{ createdAt: 'desc' }, { id: 'asc' }], [1, 'u'])).toEqual({
      OR: [{ createdAt: { lt: 1 } }, { createdAt: 1, id: { gt: 'u' } }],
    });
  });
});
