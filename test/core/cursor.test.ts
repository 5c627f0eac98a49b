import { describe, expect, it } from 'vitest';
import { createCursorCodec } from '../../src/core/cursor.js';
import { ValidationError } from '../../src/core/errors.js';

const secret = 'test-secret-0123456789abcdef';
const binding = { source: 'users', index: 'byEmail', filter: { tenant: 't1' }, sort: { createdAt: -1 } };
const position = { PK: 'USER#42', SK: 'POST#2026-01-01', email: 'ada@example.com' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.code;
    throw err;
  }
  return undefined;
}

describe('cursor codec', () => {
  it('round-trips a position for the same query', () => {
    const codec = createCursorCodec({ secret });
    const token = codec.encode(position, binding);
    expect(codec.decode(token, { ...binding })).toEqual(position);
  });

  it('refuses any spelling of a token but its canonical one', () => {
    const codec = createCursorCodec({ secret });
    // Find a token whose last character carries spare bits, then flip them: same bytes, other text.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.match(/./g) ?? [];
    let variants: string[] = [];
    for (let i = 0; i < 20 && variants.length === 0; i++) {
      const token = codec.encode({ ...position, i }, binding);
      const head = token.slice(0, -1);
      variants = alphabet
        .map((c) => head + c)
        .filter((t) => t !== token && Buffer.from(t, 'base64url').equals(Buffer.from(token, 'base64url')));
    }
    expect(variants.length).toBeGreaterThan(0);
    for (const variant of variants)
      expect(codeOf(() => codec.decode(variant, binding))).toBe('cursor.malformed');
  });

  it('treats a binding with keys in another order as the same query', () => {
    const codec = createCursorCodec({ secret });
    const token = codec.encode(position, binding);
    const reordered = {
      sort: { createdAt: -1 },
      filter: { tenant: 't1' },
      index: 'byEmail',
      source: 'users',
    };
    expect(codec.decode(token, reordered)).toEqual(position);
  });

  it('does not reveal the keys it carries', () => {
    const token = createCursorCodec({ secret }).encode(position, binding);
    const decoded = Buffer.from(token, 'base64url').toString('latin1');
    expect(decoded).not.toContain('USER#42');
    expect(decoded).not.toContain('ada@example.com');
  });

  it('rejects a token with any single byte flipped', () => {
    const codec = createCursorCodec({ secret });
    const raw = Buffer.from(codec.encode(position, binding), 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const tampered = Buffer.from(raw);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      const code = codeOf(() => codec.decode(tampered.toString('base64url'), binding));
      expect(code, `byte ${i}`).toMatch(/^cursor\.(invalidSignature|unsupportedVersion)$/);
    }
  });

  it('refuses a cursor replayed on another query', () => {
    const codec = createCursorCodec({ secret });
    const token = codec.encode(position, binding);
    expect(codeOf(() => codec.decode(token, { ...binding, filter: { tenant: 't2' } }))).toBe(
      'cursor.queryMismatch',
    );
    expect(codeOf(() => codec.decode(token, { ...binding, source: 'posts' }))).toBe('cursor.queryMismatch');
  });

  it('refuses an expired cursor', () => {
    let now = 1_000_000;
    const codec = createCursorCodec({ secret, ttlMs: 60_000, now: () => now });
    const token = codec.encode(position, binding);
    now += 59_000;
    expect(codec.decode(token, binding)).toEqual(position);
    now += 2_000;
    expect(codeOf(() => codec.decode(token, binding))).toBe('cursor.expired');
  });

  it('refuses malformed input with a validation error, never a crash', () => {
    const codec = createCursorCodec({ secret });
    for (const bad of ['', 'not base64!!', '%%%', 'abc', 'a'.repeat(5000), 'eyJwIjoxfQ']) {
      expect(
        codeOf(() => codec.decode(bad, binding)),
        bad.slice(0, 20),
      ).toBe('cursor.malformed');
    }
    expect(codeOf(() => codec.decode(123 as unknown as string, binding))).toBe('cursor.malformed');
  });

  it('refuses a cursor signed with another secret, but accepts rotated secrets', () => {
    const old = createCursorCodec({ secret: 'old-secret-0123456789' });
    const token = old.encode(position, binding);
    expect(codeOf(() => createCursorCodec({ secret }).decode(token, binding))).toBe(
      'cursor.invalidSignature',
    );
    expect(createCursorCodec({ secret: [secret, 'old-secret-0123456789'] }).decode(token, binding)).toEqual(
      position,
    );
  });

  it('requires a secret in production and rejects weak secrets', () => {
    const saved = { env: process.env.NODE_ENV, secret: process.env.DBKIT_CURSOR_SECRET };
    try {
      process.env.NODE_ENV = 'production';
      delete process.env.DBKIT_CURSOR_SECRET;
      expect(codeOf(() => createCursorCodec())).toBe('cursor.secretRequired');
      expect(codeOf(() => createCursorCodec({ secret: 'short' }))).toBe('cursor.weakSecret');
    } finally {
      process.env.NODE_ENV = saved.env;
      if (saved.secret !== undefined) process.env.DBKIT_CURSOR_SECRET = saved.secret;
    }
  });

  it('warns once when falling back to the development secret', () => {
    const saved = process.env.DBKIT_CURSOR_SECRET;
    delete process.env.DBKIT_CURSOR_SECRET;
    const warnings: string[] = [];
    try {
      const a = createCursorCodec({ warn: (m) => warnings.push(m) });
      createCursorCodec({ warn: (m) => warnings.push(m) });
      expect(a.decode(a.encode(1, binding), binding)).toBe(1);
      expect(warnings.length).toBeLessThanOrEqual(1);
    } finally {
      if (saved !== undefined) process.env.DBKIT_CURSOR_SECRET = saved;
    }
  });
});
