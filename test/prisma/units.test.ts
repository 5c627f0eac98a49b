// Pure functions of dbkit/prisma: error classification of every form, constraint names, shapes, redaction, keyset where.
import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  ForbiddenError,
  InternalError,
  TransientError,
  toProblemDetails,
} from '../../src/core/internal.js';
import { columnsFromConstraintName } from '../../src/prisma/conflict-fields.js';
import { mapPrismaError } from '../../src/prisma/errors.js';
import { queryShape } from '../../src/prisma/n-plus-one.js';
import { keysetWhere } from '../../src/prisma/pagination.js';
import { redactParams } from '../../src/prisma/slow-query.js';

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
  });

  it('reports an unrecognised error as an InternalError (500, not retryable), not a transient one', () => {
    const err = mapPrismaError(new Error('something odd'), { engine: 'postgres', operation: 'create' });
    expect(err).toBeInstanceOf(InternalError);
    expect(err).toMatchObject({ kind: 'internal', code: 'internal.unexpected', retryable: false });
    expect(toProblemDetails(err)).toMatchObject({ status: 500, retryable: false });
  });

  it('maps permission and authentication refusals to ForbiddenError (403)', () => {
    const privilege = driverAdapterError({ kind: 'postgres', code: '42501', message: 'permission denied' });
    const auth = driverAdapterError({ kind: 'AuthenticationFailed', originalCode: '28P01', user: 'app' });
    for (const raw of [privilege, auth]) {
      const err = mapPrismaError(raw, { engine: 'postgres', operation: 'findMany', model: 'User' });
      expect(err).toBeInstanceOf(ForbiddenError);
      expect(toProblemDetails(err)).toMatchObject({ status: 403, retryable: false });
    }
  });

  it('says which connection failures certainly sent nothing (notApplied) and which may have applied a write', () => {
    const connectTimeout = new Error('Connection terminated due to connection timeout', {
      cause: new Error('Connection terminated unexpectedly'),
    });
    expect(mapPrismaError(connectTimeout)).toMatchObject({
      name: 'ConnectionError',
      code: 'connection.timeout',
      retryable: true,
      notApplied: true,
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(mapPrismaError(refused)).toMatchObject({ name: 'ConnectionError', notApplied: true });
    const dropped = new Error('Connection terminated unexpectedly');
    expect(mapPrismaError(dropped)).toMatchObject({
      name: 'ConnectionError',
      code: 'connection.lost',
      notApplied: false,
    });
  });

  it('tells pool exhaustion, a client-side query timeout and a server statement timeout apart', () => {
    expect(mapPrismaError(new Error('timeout exceeded when trying to connect'))).toMatchObject({
      name: 'TimeoutError',
      code: 'timeout.pool',
      notApplied: true,
    });
    expect(mapPrismaError(new Error('Query read timeout'))).toMatchObject({
      name: 'TimeoutError',
      code: 'timeout.query',
      notApplied: false,
    });
    const cancelled = driverAdapterError({ kind: 'postgres', code: '57014', originalCode: '57014' });
    expect(mapPrismaError(cancelled)).toMatchObject({
      name: 'TimeoutError',
      code: 'timeout.statement',
      notApplied: true,
    });
  });

  it('marks serialization failures and deadlocks as rolled back (notApplied)', () => {
    for (const originalCode of ['40001', '40P01']) {
      const raw = driverAdapterError({ kind: 'TransactionWriteConflict', originalCode });
      expect(mapPrismaError(raw)).toMatchObject({ kind: 'transient', retryable: true, notApplied: true });
    }
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
