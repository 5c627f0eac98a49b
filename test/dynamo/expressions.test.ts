// Update and condition expressions use placeholders only: reserved words, odd names and injection attempts are inert.
import { describe, expect, it } from 'vitest';
import { buildCondition } from '../../src/dynamo/condition-builder.js';
import { buildUpdate } from '../../src/dynamo/update-builder.js';
import { ExpressionContext } from '../../src/dynamo/expressions.js';
import { isDbkitError } from '../../src/core/internal.js';

describe('update builder', () => {
  it('never puts an attribute name into the expression text', () => {
    const ctx = new ExpressionContext();
    const hostile = 'name = :v0, admin';
    const { expression } = buildUpdate({ set: { status: 'x', 'a.b': 1, 'has space': 2, [hostile]: 3 } }, ctx);
    expect(expression).toBe('SET #n0 = :v0, #n1 = :v1, #n2 = :v2, #n3 = :v3');
    expect(ctx.params().ExpressionAttributeNames).toEqual({
      '#n0': 'status',
      '#n1': 'a.b',
      '#n2': 'has space',
      '#n3': hostile,
    });
    expect(expression).not.toContain('admin');
  });

  it('compiles every action kind into its clause', () => {
    const ctx = new ExpressionContext();
    const { expression } = buildUpdate(
      {
        set: { title: 't' },
        setIfNotExists: { createdBy: 'u' },
        increment: { views: 1 },
        append: { history: ['a'] },
        prepend: { recent: ['b'] },
        remove: ['draft'],
        add: { tags: new Set(['x']) },
        deleteFromSet: { old: new Set(['y']) },
      },
      ctx,
    );
    expect(expression).toBe(
      'SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), #n2 = if_not_exists(#n2, :v2) + :v3, #n3 = list_append(if_not_exists(#n3, :v4), :v5), #n4 = list_append(:v6, if_not_exists(#n4, :v7)) REMOVE #n5 ADD #n6 :v8 DELETE #n7 :v9',
    );
    expect(ctx.params().ExpressionAttributeValues).toMatchObject({ ':v2': 0, ':v3': 1, ':v4': [] });
  });

  it('skips undefined values and refuses an empty update or an attribute in two actions', () => {
    expect(() => buildUpdate({ set: { a: undefined } }, new ExpressionContext())).toThrow(
      /at least one action/,
    );
    let error: unknown;
    try {
      buildUpdate({ set: { a: 1 }, increment: { a: 1 } }, new ExpressionContext());
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'update.invalid')).toBe(true);
  });
});

describe('condition builder', () => {
  it('compiles comparators, logic and functions with placeholders', () => {
    const ctx = new ExpressionContext();
    const expr = buildCondition(
      {
        status: 'open',
        balance: { gte: 10, lt: 100 },
        $or: [{ frozen: { exists: false } }, { frozen: false }],
        $not: { tags: { contains: 'x' } },
      },
      ctx,
    );
    expect(expr).toBe(
      '#n0 = :v0 AND #n1 >= :v1 AND #n1 < :v2 AND (attribute_not_exists(#n2) OR #n2 = :v3) AND (NOT (contains(#n3, :v4)))',
    );
  });

  it('supports between, in, beginsWith, type and size', () => {
    const ctx = new ExpressionContext();
    expect(
      buildCondition(
        {
          a: { between: [1, 2] },
          b: { in: ['x', 'y'] },
          c: { beginsWith: 'p' },
          d: { type: 'S' },
          e: { size: { gt: 3 } },
        },
        ctx,
      ),
    ).toBe(
      '#n0 BETWEEN :v0 AND :v1 AND #n1 IN (:v2, :v3) AND begins_with(#n2, :v4) AND attribute_type(#n3, :v5) AND size(#n4) > :v6',
    );
  });

  it('refuses more than 100 IN operands and unknown comparators', () => {
    let error: unknown;
    try {
      buildCondition({ a: { in: Array.from({ length: 101 }, (_, i) => i) } }, new ExpressionContext());
    } catch (err) {
      error = err;
    }
    expect(isDbkitError(error, 'limit.inOperands')).toBe(true);
    expect(() => buildCondition({ a: { like: 'x' } }, new ExpressionContext())).toThrow(/unknown comparator/);
  });

  it('treats a path array as nested segments and a dotted string as one name', () => {
    const ctx = new ExpressionContext();
    expect(ctx.path(['address', 'city'])).toBe('#n0.#n1');
    expect(ctx.path(['items', 0, 'sku'])).toBe('#n2[0].#n3');
    expect(ctx.path('address.city')).toBe('#n4');
    expect(() => ctx.path([0])).toThrow(/indexes/);
  });
});
