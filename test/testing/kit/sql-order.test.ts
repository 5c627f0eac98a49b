// The foreign-key dependency order the kit derives from a catalog graph: parents first, cycles last.
import { describe, expect, it } from 'vitest';
import { dependencyOrder } from '../../../src/testing/kit/sql-catalog.js';
import { orderKeys } from '../../../src/testing/kit/sql-seed.js';

describe('dependencyOrder', () => {
  it('puts every table after the tables it refers to', () => {
    const order = dependencyOrder(
      ['Comment', 'Post', 'User'],
      [
        { child: 'Comment', parent: 'Post' },
        { child: 'Comment', parent: 'User' },
        { child: 'Post', parent: 'User' },
      ],
    );
    expect(order).toEqual(['User', 'Post', 'Comment']);
  });

  it('ignores self-references and keeps tables on a cycle, after the rest', () => {
    const order = dependencyOrder(
      ['a', 'b', 'c', 'tree'],
      [
        { child: 'tree', parent: 'tree' },
        { child: 'a', parent: 'b' },
        { child: 'b', parent: 'a' },
      ],
    );
    expect(order).toEqual(['c', 'tree', 'a', 'b']);
  });

  it('orders seed keys by the graph, unknown keys last', () => {
    expect(orderKeys(['Post', 'Extra', 'User'], ['User', 'Post'])).toEqual(['User', 'Post', 'Extra']);
  });
});
