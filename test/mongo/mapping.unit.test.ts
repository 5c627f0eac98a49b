// Error mapping, explain summaries, keyset filters and index comparison, as pure functions.
import { describe, expect, it } from 'vitest';
import { MongoNetworkError, MongoServerError, MongoWriteConcernError, ObjectId } from 'mongodb';
import {
  ConflictError,
  ConnectionError,
  LimitExceededError,
  ThrottledError,
  TimeoutError,
  TransientError,
  UnsupportedError,
  ValidationError,
} from '../../src/core/index.js';
import {
  duplicateKeyFields,
  indexDifferences,
  indexName,
  keysetFilter,
  keysetSort,
  mapMongoError,
  summarizeExplain,
} from '../../src/mongo/index.js';

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
        ConnectionError,
        'connection.authenticationFailed',
      ],
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
