// The error code registry: families, kinds, narrowing by code.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { codeProblem, errorFamilies, familyOf } from '../../src/core/error-codes.js';
import {
  ConflictError,
  DbkitError,
  isDbkitError,
  LimitExceededError,
  ValidationError,
} from '../../src/core/errors.js';

describe('error code registry', () => {
  it('names one family per kind and topic families for input errors', () => {
    expect(familyOf('conflict.unique')).toBe('conflict');
    expect(familyOf('cursor.expired')).toBe('cursor');
    expect(familyOf('dynamodb.validation')).toBeUndefined();
    expect(errorFamilies.cursor).toEqual(['validation']);
  });

  it('refuses unregistered families, kinds a family does not carry, and engine names', () => {
    expect(codeProblem('cursor.expired', 'validation')).toBeUndefined();
    expect(codeProblem('dynamodb.validation', 'validation')).toMatch(/unregistered family "dynamodb"/);
    expect(codeProblem('cursor.expired', 'conflict')).toMatch(/carries validation, not conflict/);
    expect(codeProblem('validation.prisma', 'validation')).toMatch(/must not name an engine/);
    expect(codeProblem('throttled.ProvisionedThroughputExceededException', 'throttled')).toBeUndefined();
  });

  it('gives every error class a default code inside the registry', () => {
    const made = [
      new ConflictError('x'),
      new ValidationError([]),
      new LimitExceededError('x', { limit: 'itemSize' }),
      new DbkitError('limit_exceeded', 'x'),
    ];
    for (const error of made) expect(codeProblem(error.code, error.kind)).toBeUndefined();
  });
});

describe('isDbkitError', () => {
  const conflict = new ConflictError('email taken', { code: 'conflict.unique', fields: ['email'] });
  const cursor = new ValidationError([], { code: 'cursor.expired' });

  it('matches by kind, by exact code and by family, never by a bare prefix of another word', () => {
    expect(isDbkitError(conflict)).toBe(true);
    expect(isDbkitError(conflict, 'conflict')).toBe(true);
    expect(isDbkitError(conflict, 'conflict.unique')).toBe(true);
    expect(isDbkitError(conflict, 'conflict.')).toBe(true);
    expect(isDbkitError(cursor, 'cursor')).toBe(true);
    expect(isDbkitError(cursor, 'cursor.')).toBe(true);
    expect(isDbkitError(cursor, 'cursor.malformed')).toBe(false);
    expect(isDbkitError(cursor, 'validation')).toBe(true);
    expect(isDbkitError(new Error('x'), 'conflict')).toBe(false);
  });

  it('narrows to the class of the code family', () => {
    const err: unknown = conflict;
    if (isDbkitError(err, 'conflict.unique')) expectTypeOf(err).toEqualTypeOf<ConflictError>();
    if (isDbkitError(err, 'cursor.')) expectTypeOf(err).toEqualTypeOf<ValidationError>();
    if (isDbkitError(err, 'limit.itemSize')) expectTypeOf(err).toEqualTypeOf<LimitExceededError>();
    if (isDbkitError(err, 'batch.')) expectTypeOf(err).toEqualTypeOf<DbkitError>();
    if (isDbkitError(err)) expectTypeOf(err).toEqualTypeOf<DbkitError>();
    expect(isDbkitError(err, 'conflict.unique') && err.fields).toEqual(['email']);
  });
});
