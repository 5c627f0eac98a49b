// Error mapping, explain summaries, keyset filters and index comparison, as pure functions.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoWriteConcernError,
  ObjectId,
} from 'mongodb';
import {
  ConflictError,
  ConnectionError,
  ForbiddenError,
  InternalError,
  LimitExceededError,
  ThrottledError,
  TimeoutError,
  TransientError,
  UnsupportedError,
  ValidationError,
} from '../../src/core/internal.js';
import { toProblemDetails } from '../../src/core/internal.js';
import { duplicateKeyFields, mapMongoError } from '../../src/mongo/errors.js';
import { summarizeExplain } from '../../src/mongo/explain.js';
import { indexDifferences, indexName } from '../../src/mongo/indexes.js';
import { keysetFilter, keysetSort } from '../../src/mongo/pagination.js';

const server = (fields: Record<string, unknown>): MongoServerError =>
  new MongoServerError({ message: 'x', ...fields });

describe('mapMongoError', () => {
  const declared = [
    { name: 'email_1', fields: ['email'] },
    { name: 'tenant_1_slug_1', fields: ['tenant', 'slug'] },
  ];

  it('names duplicate-key fields from keyPattern, then the index in the message, then the declared indexes', () => {
    expect(duplicateKeyFields({ code: 11000, keyPattern: { email: 1 } }, declared)).toEqual(['email']);
    expect(
      duplicateKeyFields(
        {
          code: 11000,
          message: 'E11000 duplicate key error collection: db.t index: tenant_1_slug_1 dup key: { }',
        },
        declared,
      ),
    ).toEqual(['tenant', 'slug']);
    expect(
      duplicateKeyFields(
        { code: 11000, message: 'E11000 duplicate key error collection: db.t index: _id_ dup key' },
        declared,
      ),
    ).toEqual(['_id']);
    expect(
      duplicateKeyFields({ code: 11000, message: 'E11000 duplicate key error collection: db.t' }, declared),
    ).toEqual(['email', 'tenant', 'slug']);
  });

  it('maps each family of driver error to its dbkit kind, keeping the original as cause', () => {
    const dup = server({ code: 11000, keyPattern: { email: 1 }, errmsg: 'E11000 duplicate key' });
    const cases: [unknown, new (...args: never[]) => Error, string?][] = [
      [dup, ConflictError, 'conflict.duplicateKey'],
      [new MongoNetworkError('socket closed'), ConnectionError, 'connection.network'],
      [
        server({ code: 18, codeName: 'AuthenticationFailed' }),
        ForbiddenError,
        'forbidden.authenticationFailed',
      ],
      [server({ code: 13, codeName: 'Unauthorized' }), ForbiddenError, 'forbidden.unauthorized'],
      [
        new MongoWriteConcernError({
          writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
        } as never),
        TransientError,
        'transient.writeConcern',
      ],
      [server({ code: 112, codeName: 'WriteConflict' }), TransientError],
      [server({ code: 50, codeName: 'MaxTimeMSExpired' }), TimeoutError],
      [
        server({
          code: 16500,
          codeName: 'RequestRateTooLarge',
          message: 'Request rate is large. RetryAfterMs=120',
        }),
        ThrottledError,
      ],
      [server({ code: 10334, codeName: 'BSONObjectTooLarge' }), LimitExceededError],
      [server({ code: 238, codeName: 'NotImplemented' }), UnsupportedError],
      [server({ code: 2, codeName: 'BadValue' }), ValidationError],
    ];
    for (const [err, type, code] of cases) {
      const mapped = mapMongoError(err, { operation: 'op', target: 'users' });
      expect(mapped, type.name).toBeInstanceOf(type);
      expect(mapped.cause).toBe(err);
      expect(mapped.engine).toBe('mongodb');
      if (code) expect(mapped.code).toBe(code);
    }
    const throttled = mapMongoError(server({ code: 16500, message: 'RetryAfterMs=120' }));
    expect(throttled instanceof ThrottledError && throttled.retryAfterMs).toBe(120);
    expect(mapMongoError(server({ code: 91, errorLabels: ['RetryableWriteError'] })).retryable).toBe(true);
  });

  it('says a write was certainly not applied only when nothing reached the server', () => {
    const refused = new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:1', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }),
    });
    const handshake = new MongoNetworkError('connection reset');
    handshake.addErrorLabel('SystemOverloadedError');
    handshake.addErrorLabel('RetryableError');
    const selection = new MongoServerSelectionError('Server selection timed out after 800 ms', {
      type: 'Unknown',
    } as never);
    const resetOnWrite = Object.assign(new Error('write ECONNRESET'), {
      code: 'ECONNRESET',
      syscall: 'write',
    });
    // The driver's own pool errors (not exported): a checkout that timed out, a pool cleared while waiting.
    const pool = Object.assign(new Error('Timed out while checking out a connection from connection pool'), {
      name: 'MongoWaitQueueTimeoutError',
    });
    const cleared = new MongoNetworkError('Connection pool for 127.0.0.1:27017 was cleared');
    Object.defineProperty(cleared, 'name', { value: 'MongoPoolClearedError' });
    const interrupted = new MongoNetworkError('Connection to 127.0.0.1:27017 interrupted');
    Object.defineProperty(interrupted, 'name', { value: 'PoolClearedOnNetworkError' });
    const certain: [string, unknown][] = [
      ['refused', refused],
      ['failed handshake', handshake],
      ['server selection', selection],
      ['reset before the write', resetOnWrite],
      ['pool checkout timeout', pool],
      ['pool cleared before checkout', cleared],
      ['write conflict', server({ code: 112, codeName: 'WriteConflict' })],
      ['not primary', server({ code: 10107, codeName: 'NotWritablePrimary' })],
      ['aborted transaction', server({ code: 251, errorLabels: ['TransientTransactionError'] })],
    ];
    for (const [label, err] of certain) {
      const mapped = mapMongoError(err, { operation: 'create', target: 'users' });
      expect(mapped.notApplied, label).toBe(true);
      expect(mapped.retryable, label).toBe(true);
    }
    const unknown: [string, unknown][] = [
      ['connection lost after send', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
      ['socket timeout', new MongoNetworkTimeoutError('connection timed out')],
      ['in-flight operation interrupted by a pool clear', interrupted],
      ['time limit exceeded', server({ code: 262, codeName: 'ExceededTimeLimit' })],
      ['shutdown mid-operation', server({ code: 11600, codeName: 'InterruptedAtShutdown' })],
      [
        'write concern',
        new MongoWriteConcernError({ writeConcernError: { code: 64, errmsg: 'timeout' } } as never),
      ],
    ];
    for (const [label, err] of unknown) {
      expect(mapMongoError(err, { operation: 'create', target: 'users' }).notApplied, label).toBe(false);
    }
    expect(mapMongoError(new MongoNetworkTimeoutError('timed out'))).toBeInstanceOf(TimeoutError);
  });

  it('maps errors from another copy of the driver (the one Mongoose bundles) like its own', () => {
    // Mongoose pins its own mongodb: its error classes are different objects with the same names.
    const foreign = createRequire(createRequire(import.meta.url).resolve('mongoose'))('mongodb') as {
      MongoNetworkError: new (message: string) => Error;
      MongoServerSelectionError: new (message: string, reason: unknown) => Error;
    };
    expect(foreign.MongoNetworkError).not.toBe(MongoNetworkError);
    const lost = mapMongoError(new foreign.MongoNetworkError('connection reset'), { operation: 'find' });
    expect(lost).toBeInstanceOf(ConnectionError);
    const unreachable = mapMongoError(
      new foreign.MongoServerSelectionError('no server', { type: 'Unknown' }),
      {
        operation: 'find',
      },
    );
    expect(unreachable).toMatchObject({
      kind: 'connection',
      code: 'connection.serverSelection',
      notApplied: true,
    });
  });

  it('reports an error it does not recognise as InternalError (500, not retryable)', () => {
    for (const err of [
      new RangeError('driver bug'),
      server({ code: 99999, codeName: 'SomethingNew' }),
      'x',
    ]) {
      const mapped = mapMongoError(err, { operation: 'findOne', target: 'users' });
      expect(mapped).toBeInstanceOf(InternalError);
      expect(mapped.kind).toBe('internal');
      expect(mapped.retryable).toBe(false);
      expect(toProblemDetails(mapped).status).toBe(500);
    }
  });

  it('keeps collection names and driver text out of the messages API clients see', () => {
    const target = 'acct_ledger_7f3a';
    const errors = [
      server({
        code: 11000,
        keyPattern: { email: 1 },
        errmsg: `E11000 duplicate key error collection: app.${target}`,
      }),
      server({ code: 10334, codeName: 'BSONObjectTooLarge', errmsg: `object in ${target} too large` }),
      server({ code: 238, codeName: 'NotImplemented', errmsg: `not implemented on app.${target}` }),
      server({ code: 2, codeName: 'BadValue', errmsg: `bad value in app.${target}` }),
    ];
    for (const err of errors) {
      const mapped = mapMongoError(err, { operation: 'create', target });
      const problem = JSON.stringify(toProblemDetails(mapped));
      expect(problem, mapped.code).not.toContain(target);
      expect(problem, mapped.code).not.toContain('app.');
    }
  });
});

describe('summarizeExplain', () => {
  it('reads a classic MongoDB plan', () => {
    const s = summarizeExplain({
      queryPlanner: {
        winningPlan: {
          stage: 'LIMIT',
          inputStage: { stage: 'FETCH', inputStage: { stage: 'IXSCAN', indexName: 'status_1_createdAt_-1' } },
        },
      },
      executionStats: { nReturned: 5, totalKeysExamined: 5, totalDocsExamined: 5 },
    });
    expect(s).toMatchObject({
      stage: 'IXSCAN',
      usesIndex: true,
      collectionScan: false,
      inMemorySort: false,
      indexName: 'status_1_createdAt_-1',
      returned: 5,
      docsExamined: 5,
    });
  });

  it('reads an SBE plan with an in-memory sort over a collection scan', () => {
    const s = summarizeExplain({
      queryPlanner: { winningPlan: { queryPlan: { stage: 'SORT', inputStage: { stage: 'COLLSCAN' } } } },
      executionStats: { nReturned: 1, totalDocsExamined: 500 },
    });
    expect(s).toMatchObject({
      stage: 'COLLSCAN',
      usesIndex: false,
      collectionScan: true,
      inMemorySort: true,
      docsExamined: 500,
    });
  });

  it('reads FerretDB’s SQLite plan', () => {
    expect(
      summarizeExplain({ queryPlanner: { Plan: ['id=2 parent=0 notused=0 detail=SCAN users_5e7c'] } }),
    ).toMatchObject({ stage: 'COLLSCAN', collectionScan: true });
    expect(
      summarizeExplain({ queryPlanner: { Plan: ['SEARCH t USING INDEX t_email (email=?)'] } }),
    ).toMatchObject({ stage: 'IXSCAN', usesIndex: true, indexName: 't_email' });
  });
});

describe('keyset pagination', () => {
  it('appends _id as tiebreaker in the direction of the last key', () => {
    expect(keysetSort({ createdAt: -1 })).toEqual([
      ['createdAt', -1],
      ['_id', -1],
    ]);
    expect(keysetSort(undefined)).toEqual([['_id', 1]]);
  });

  it('selects strictly after the position, treating null as sorting first', () => {
    const id = new ObjectId();
    const at = new Date(0);
    expect(
      keysetFilter(
        [
          ['createdAt', 1],
          ['_id', 1],
        ],
        [at, id],
      ),
    ).toEqual({
      $or: [{ createdAt: { $gt: at } }, { createdAt: { $eq: at }, _id: { $gt: id } }],
    });
    expect(
      keysetFilter(
        [
          ['score', -1],
          ['_id', -1],
        ],
        [null, id],
      ),
    ).toEqual({ score: { $eq: null }, _id: { $lt: id } });
    expect(
      keysetFilter(
        [
          ['score', 1],
          ['_id', 1],
        ],
        [null, id],
      ),
    ).toEqual({ $or: [{ score: { $ne: null } }, { score: { $eq: null }, _id: { $gt: id } }] });
  });
});

describe('index comparison', () => {
  it('names indexes as the server does and finds option drift', () => {
    expect(indexName({ key: { status: 1, createdAt: -1 } })).toBe('status_1_createdAt_-1');
    expect(indexName({ key: { title: 'text', content: 'text' } })).toBe('title_text_content_text');
    expect(
      indexDifferences({ key: { email: 1 }, unique: true }, { key: { email: 1 }, name: 'email_1' }),
    ).toEqual(['unique: declared true, server false']);
    expect(
      indexDifferences(
        { key: { title: 'text', content: 'text' }, weights: { title: 10, content: 1 } },
        {
          key: { _fts: 'text', _ftsx: 1 },
          weights: { content: 1, title: 10 },
          default_language: 'english',
          textIndexVersion: 3,
        },
      ),
    ).toEqual([]);
    expect(
      indexDifferences(
        { key: { e: 1 }, expireAfterSeconds: 60 },
        { key: { e: 1 }, expireAfterSeconds: 3600 },
      ),
    ).toEqual(['expireAfterSeconds: declared 60, server 3600']);
  });
});
