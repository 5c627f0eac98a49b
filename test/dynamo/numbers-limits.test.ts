// Numbers come back exact or not at all; item sizes and limits are counted as DynamoDB counts them.
import { describe, expect, it } from 'vitest';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { checkItemSize, itemSize } from '../../src/dynamo/limits.js';
import { convertNumbers, isExactNumber, unmarshallNumber } from '../../src/dynamo/numbers.js';
import { isDbkitError } from '../../src/core/internal.js';

describe('numbers', () => {
  it('tells exact decimals from ones a double would round', () => {
    expect(isExactNumber('42')).toBe(true);
    expect(isExactNumber('-0.1')).toBe(true);
    expect(isExactNumber('9007199254740991')).toBe(true);
    expect(isExactNumber('1e-7')).toBe(true);
    expect(isExactNumber('9007199254740993')).toBe(false);
    expect(isExactNumber('0.12345678901234567890123')).toBe(false);
    expect(isExactNumber('123456789012345678901234567890')).toBe(false);
  });

  it('wraps only unsafe numbers', () => {
    expect(unmarshallNumber('3.5')).toBe(3.5);
    expect(unmarshallNumber('12345678901234567890')).toBeInstanceOf(NumberValue);
  });

  it('names the attribute when a number cannot be held exactly', () => {
    const item = { id: 'x', nested: { deep: [1, new NumberValue('12345678901234567890')] } };
    let error: unknown;
    try {
      convertNumbers(item, undefined);
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'number.precisionLoss')).toBe(true);
    expect((error as Error).message).toContain('nested.deep.1');
  });

  it('returns bigint or string where the model asks', () => {
    const item = convertNumbers(
      {
        big: new NumberValue('12345678901234567890'),
        exact: new NumberValue('0.12345678901234567890123'),
        small: 5,
      },
      { big: 'bigint', exact: 'string' },
    );
    expect(item).toEqual({ big: 12345678901234567890n, exact: '0.12345678901234567890123', small: 5 });
  });
});

describe('item size', () => {
  it('counts names and values as DynamoDB does', () => {
    expect(itemSize({ pk: 'USER#1' })).toBe(2 + 6);
    expect(itemSize({ n: 12345 })).toBe(1 + 4);
    expect(itemSize({ b: true, z: null })).toBe(2 + 2);
    expect(itemSize({ m: { a: 'x' } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemSize({ s: 'é' })).toBe(1 + 2);
  });

  it('refuses an item over 400 KB, naming the limit', () => {
    let error: unknown;
    try {
      checkItemSize({ pk: 'A', blob: 'x'.repeat(400 * 1024) });
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'limit.itemSize')).toBe(true);
    expect(error).toMatchObject({ limit: 'itemSize', max: 409600 });
  });

  it('refuses nesting deeper than 32 levels', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 33; i++) deep = { d: deep };
    let error: unknown;
    try {
      itemSize({ root: deep });
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'limit.nestingDepth')).toBe(true);
  });
});
