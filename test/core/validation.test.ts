import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/core/errors.js';
import { isStandardSchema, validate, validateSync } from '../../src/core/validation.js';

const User = z.object({
  email: z.email().transform((e) => e.trim().toLowerCase()),
  addresses: z.array(z.object({ city: z.string().min(1) })).max(5),
});

describe('validation with Standard Schema', () => {
  it('returns the parsed output', async () => {
    const input = { email: 'Ada@Example.com', addresses: [{ city: 'London' }] };
    await expect(validate(User, input)).resolves.toEqual({
      email: 'ada@example.com',
      addresses: [{ city: 'London' }],
    });
    expect(validateSync(User, input).email).toBe('ada@example.com');
  });

  it('reports every issue with its path', () => {
    try {
      validateSync(
        User,
        { email: 'nope', addresses: [{ city: '' }] },
        { engine: 'mongodb', operation: 'create' },
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const e = err as ValidationError;
      expect(e.issues.map((i) => i.path)).toEqual([['email'], ['addresses', 0, 'city']]);
      expect(e.engine).toBe('mongodb');
      expect(e.message).toContain('email');
    }
  });

  it('refuses an async schema on the sync path with a clear code', () => {
    const Async = z.string().refine(async () => Promise.resolve(true));
    expect(() => validateSync(Async, 'x')).toThrow(
      expect.objectContaining({ code: 'schema.async' }) as Error,
    );
  });

  it('recognises standard schemas', () => {
    expect(isStandardSchema(User)).toBe(true);
    expect(isStandardSchema({})).toBe(false);
    expect(isStandardSchema(null)).toBe(false);
  });
});
