import { describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  InternalError,
  LimitExceededError,
  NotFoundError,
  OutcomeUnknownError,
  ThrottledError,
  TimeoutError,
  TransactionCanceledError,
  TransientError,
  UnsupportedError,
  ValidationError,
  VersionConflictError,
  isDbkitError,
} from '../../src/core/errors.js';
import { toProblemDetails } from '../../src/core/problem-details.js';

const driverError = Object.assign(
  new Error('E11000 duplicate key error collection: app.users index: email_1'),
  {
    stack: 'at secret/internal/path.js:1:1',
  },
);

const cases = [
  [
    new ValidationError([{ path: ['addresses', 0, 'city'], message: 'Required', code: 'invalid_type' }]),
    400,
    { issues: [{ path: ['addresses', 0, 'city'], message: 'Required', code: 'invalid_type' }] },
  ],
  [new NotFoundError('user 42 not found', { target: 'users' }), 404, {}],
  [
    new ConflictError('email already taken', { fields: ['email'], cause: driverError }),
    409,
    { fields: ['email'] },
  ],
  [new ConditionFailedError('balance would go negative'), 409, {}],
  [
    new TransactionCanceledError('transfer canceled', {
      reasons: [
        { index: 0, code: 'None' },
        { index: 1, code: 'ConditionalCheckFailed', entity: 'Account' },
      ],
    }),
    409,
    {
      reasons: [
        { index: 0, code: 'None' },
        { index: 1, code: 'ConditionalCheckFailed', entity: 'Account' },
      ],
    },
  ],
  [
    new VersionConflictError('user 42 changed', { expectedVersion: 3, actualVersion: 4 }),
    412,
    { expectedVersion: 3, actualVersion: 4 },
  ],
  [
    new LimitExceededError('item too large', { limit: 'itemSize', max: 409600, actual: 500000 }),
    413,
    { limit: 'itemSize', max: 409600, actual: 500000 },
  ],
  [new ThrottledError('slow down', { retryAfterMs: 250 }), 429, { retryAfterMs: 250 }],
  [
    new UnsupportedError('no transactions on FerretDB', { feature: 'transactions' }),
    501,
    { feature: 'transactions' },
  ],
  [new TransientError('serialization failure'), 503, {}],
  [new ConnectionError('cannot reach the database'), 503, {}],
  [new TimeoutError('transaction timed out', { timeoutMs: 5000 }), 503, {}],
  [new OutcomeUnknownError('insert may have been applied'), 503, {}],
  [new ForbiddenError('not authorized on app to execute command'), 403, {}],
  [new InternalError('something unrecognised'), 500, {}],
] as const;

// Kinds whose message is about the server, not the request: API clients get a fixed sentence.
const serverSide = new Set([
  'throttled',
  'transient',
  'connection',
  'timeout',
  'outcome_unknown',
  'forbidden',
  'internal',
]);

describe('problem details', () => {
  it.each(cases)('serialises %s with its status and typed details', (err, status, extensions) => {
    const problem = toProblemDetails(err);
    expect(problem.status).toBe(status);
    expect(problem.type).toMatch(/^https:\/\/dbkit\.dev\/problems\/[a-z-]+$/);
    expect(problem.title.length).toBeGreaterThan(0);
    if (serverSide.has(err.kind)) {
      expect(problem.detail).not.toBe(err.message);
      expect(toProblemDetails(err, { exposeInternals: true }).detail).toBe(err.message);
    } else expect(problem.detail).toBe(err.message);
    expect(problem.code).toBe(err.code);
    expect(problem.retryable).toBe(err.retryable);
    expect(problem).toMatchObject(extensions);
    const json = JSON.stringify(problem);
    expect(json).not.toContain('stack');
    expect(json).not.toContain('E11000');
    expect(JSON.parse(json)).toEqual(problem);
  });

  it('covers every error kind', () => {
    expect(new Set(cases.map(([err]) => err.kind)).size).toBe(15);
  });

  it('names no table or collection unless asked to', () => {
    const err = new ConnectionError('cannot reach mongodb://db:27017 for find on users', {
      target: 'users',
      engine: 'mongodb',
    });
    const json = JSON.stringify(toProblemDetails(err));
    expect(json).not.toContain('users');
    expect(json).not.toContain('27017');
    expect(toProblemDetails(err, { exposeInternals: true })).toMatchObject({ target: 'users' });
    expect(
      JSON.stringify(toProblemDetails(new NotFoundError('user 42 not found', { target: 'users' }))),
    ).not.toContain('"target"');
  });

  it('never calls an outcome-unknown write retryable', () => {
    const err = new OutcomeUnknownError('x', { retryable: true });
    expect(err.retryable).toBe(false);
    expect(err.notApplied).toBe(false);
    expect(toProblemDetails(err)).toMatchObject({ status: 503, code: 'outcome_unknown', retryable: false });
  });

  it('turns a non-dbkit error into a generic 500 without its message', () => {
    const problem = toProblemDetails(driverError, { instance: '/users' });
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'internal',
      retryable: false,
      instance: '/users',
    });
  });

  it('keeps the driver error as cause without rewriting it', () => {
    const err = new ConflictError('email already taken', {
      cause: driverError,
      engine: 'mongodb',
      operation: 'create',
    });
    expect(err.cause).toBe(driverError);
    expect(driverError.message).toContain('E11000');
    expect(err.engine).toBe('mongodb');
    expect(err.operation).toBe('create');
  });

  it('marks throttled, transient and connection errors retryable, the rest not', () => {
    const retryable = cases.filter(([err]) => err.retryable).map(([err]) => err.kind);
    expect(retryable.sort()).toEqual(['connection', 'throttled', 'transient']);
  });

  it('matches errors by kind and by dotted code prefix', () => {
    const err = new ValidationError([], { code: 'cursor.expired' });
    expect(isDbkitError(err, 'validation')).toBe(true);
    expect(isDbkitError(err, 'cursor.')).toBe(true);
    expect(isDbkitError(err, 'conflict')).toBe(false);
    expect(isDbkitError(new Error('x'))).toBe(false);
  });
});
