// Key templates: parsing, composing, and refusing (or escaping) values that would forge another key.
import { describe, expect, it } from 'vitest';
import { composeKey, parseTemplate } from '../../src/dynamo/key-template.js';
import { isDbkitError } from '../../src/core/internal.js';
import { defineModel } from './model.js';

describe('key templates', () => {
  it('fills attributes into the template', () => {
    const t = parseTemplate('ORG#{orgId}#USER#{userId}');
    expect(t.attributes).toEqual(['orgId', 'userId']);
    expect(t.staticPrefix).toBe('ORG#');
    expect(composeKey(t, { orgId: 'o1', userId: 42 }, { delimiters: '#', policy: 'reject' })).toBe(
      'ORG#o1#USER#42',
    );
  });

  it('returns the prefix up to the first missing attribute, including its delimiter', () => {
    const t = parseTemplate('POST#{date}#{id}');
    expect(composeKey(t, { date: '2025' }, { delimiters: '#', policy: 'reject', prefix: true })).toBe(
      'POST#2025#',
    );
    expect(composeKey(t, {}, { delimiters: '#', policy: 'reject', prefix: true })).toBe('POST#');
  });

  it('rejects a value containing the delimiter, so USER#{id} cannot address another entity', () => {
    const { User } = defineModel('keys_reject');
    let error: unknown;
    try {
      User.key({ id: '1#ADMIN' });
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'key.delimiterInValue')).toBe(true);
    expect((error as Error).message).toContain('id');
  });

  it('escapes a delimiter (and %) with the escape policy, so forged and genuine keys differ', () => {
    const { User } = defineModel('keys_escape', 'escape');
    const forged = User.key({ id: '1#PROFILE' });
    expect(forged.pk).toBe('USER#1%23PROFILE');
    expect(User.key({ id: '1%23PROFILE' }).pk).toBe('USER#1%2523PROFILE');
    expect(forged.pk).not.toBe(User.key({ id: '1' }).pk);
  });

  it('rejects empty and non-scalar key values', () => {
    const { User } = defineModel('keys_empty');
    expect(() => User.key({ id: '' })).toThrow(/must not be empty/);
    expect(() => User.key({ id: { toString: () => 'x' } as unknown as string })).toThrow(/string or number/);
  });

  it('refuses malformed templates when the entity is defined', () => {
    expect(() => parseTemplate('USER#{}')).toThrow(/empty/);
    expect(() => parseTemplate('USER#{id')).toThrow(/unbalanced/);
  });

  it('refuses a partition key over 2,048 bytes before sending', () => {
    const { User } = defineModel('keys_long');
    let error: unknown;
    try {
      User.key({ id: 'x'.repeat(2100) });
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'limit.partitionKeySize')).toBe(true);
  });
});
