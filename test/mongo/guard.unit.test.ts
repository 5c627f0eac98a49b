// The injection guard and update builder without a server: what they accept, rewrite and refuse.
import { describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { ValidationError } from '../../src/core/internal.js';
import { guardPipeline } from '../../src/mongo/aggregate.js';
import { and, each, op, or, textSearch, trusted } from '../../src/mongo/index.js';
import { guardFilter, isCatastrophic } from '../../src/mongo/injection-guard.js';
import { buildUpdate } from '../../src/mongo/update-builder.js';

const refused = (fn: () => unknown): ValidationError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
};

describe('guardFilter', () => {
  it('compares plain values with $eq and keeps op helpers', () => {
    expect(guardFilter({ email: 'a@b.c', age: op.gte(18), tags: op.in(['x']) })).toEqual({
      email: { $eq: 'a@b.c' },
      age: { $gte: 18 },
      tags: { $in: ['x'] },
    });
  });

  it('names the path of an operator smuggled into a value', () => {
    const err = refused(() => guardFilter(JSON.parse('{"profile":{"city":{"$ne":null}}}')));
    expect(err.issues[0]).toMatchObject({ path: ['profile', 'city', '$ne'], code: 'injection.operator' });
  });

  it('cannot be fooled by objects shaped like dbkit operators', () => {
    const forged = { kind: 'op', expr: { $ne: null }, check: 'value' };
    expect(refused(() => guardFilter({ password: forged })).code).toBe('injection.operator');
  });

  it('refuses undefined, which the driver would send as null and match missing fields', () => {
    expect(refused(() => guardFilter({ email: undefined })).code).toBe('filter.undefined');
  });

  it('builds $or / $and from helpers and refuses empty ones', () => {
    expect(guardFilter(and({ a: 1 }, or({ b: 2 }, { c: op.exists() })))).toEqual({
      $and: [{ a: { $eq: 1 } }, { $or: [{ b: { $eq: 2 } }, { c: { $exists: true } }] }],
    });
    expect(refused(() => guardFilter(or())).code).toBe('filter.invalid');
  });

  it('converts string ids strictly and maps id to _id when asked', () => {
    const id = new ObjectId();
    expect(guardFilter({ id: id.toHexString() }, { idAlias: true })).toEqual({ _id: { $eq: id } });
    expect(guardFilter({ _id: op.in([id.toHexString()]) })).toEqual({ _id: { $in: [id] } });
    expect(refused(() => guardFilter({ _id: 'aaaaaaaaaaaa' })).code).toBe('objectId.invalid');
  });

  it('accepts declared dotted paths only', () => {
    expect(guardFilter({ 'profile.city': 'Oslo' }, { paths: new Set(['profile.city']) })).toEqual({
      'profile.city': { $eq: 'Oslo' },
    });
    expect(refused(() => guardFilter({ 'profile.city': 'Oslo' })).code).toBe('injection.dottedKey');
  });

  it('escapes regexes on fields not declared searchable', () => {
    expect(guardFilter({ name: op.regex('a.*') })).toEqual({ name: { $regex: 'a\\.\\*', $options: '' } });
    expect(guardFilter({ name: op.regex('^a.*', 'i') }, { searchable: new Set(['name']) })).toEqual({
      name: { $regex: '^a.*', $options: 'i' },
    });
    expect(guardFilter({ name: op.startsWith('a+b') })).toEqual({ name: { $regex: '^a\\+b', $options: '' } });
  });

  it('flags regexes that could backtrack exponentially', () => {
    for (const p of ['(a+)+$', '(a|aa)*', '(.*a){20}', '(x+x+)+y', '(a)\\1'])
      expect(isCatastrophic(p), p).toBe(true);
    for (const p of ['^abc', 'a+b*', '(ab)+', '[a-z]+@x\\.com']) expect(isCatastrophic(p), p).toBe(false);
  });

  it('passes a text search from input as a string only', () => {
    expect(guardFilter(and(textSearch('coffee "dark roast"'), { published: true }))).toEqual({
      $and: [{ $text: { $search: 'coffee "dark roast"' } }, { published: { $eq: true } }],
    });
    expect(refused(() => guardFilter(textSearch(JSON.parse('{"$ne":null}') as string))).code).toBe(
      'filter.invalid',
    );
  });

  it('passes trusted filters as written but still refuses server-side JavaScript', () => {
    expect(guardFilter(trusted({ $expr: { $gt: ['$a', '$b'] } }))).toEqual({ $expr: { $gt: ['$a', '$b'] } });
    expect(refused(() => guardFilter(trusted({ $or: [{ $where: 'true' }] }))).code).toBe(
      'injection.javascript',
    );
  });
});

describe('buildUpdate', () => {
  const ctx = {
    target: 't',
    versionField: 'version',
    timestamps: true,
    protectedFields: new Set(['_id', 'version', 'createdAt']),
    now: () => new Date(0),
  };

  it('stamps updatedAt, bumps the version and knows an $inc is not idempotent', () => {
    expect(buildUpdate({ $set: { a: 1 }, $push: { tags: each(['x', 'y']) } }, ctx)).toEqual({
      update: {
        $set: { a: 1, updatedAt: new Date(0) },
        $push: { tags: { $each: ['x', 'y'] } },
        $inc: { version: 1 },
      },
      idempotent: false,
    });
    expect(buildUpdate({ $set: { a: 1 } }, { target: 't' }).idempotent).toBe(true);
    expect(buildUpdate({ $inc: { n: 1 } }, { target: 't' }).idempotent).toBe(false);
  });

  it('refuses unknown operators, conflicts, managed fields, operators in data and empty updates', () => {
    const cases: [unknown, string][] = [
      [{ $rename: { a: 'b' } }, 'update.unknownOperator'],
      [{ $set: { a: 1 }, $inc: { a: 1 } }, 'update.conflict'],
      [{ $set: { 'a.b': 1 }, $unset: { a: true } }, 'update.invalidField'],
      [{ $set: { version: 3 } }, 'update.protectedField'],
      [{ $set: { profile: { $where: 'x' } } }, 'document.operatorKey'],
      [{ $set: { profile: { 'a.b': 1 } } }, 'document.dottedKey'],
      [{ $inc: { n: Number.NaN } }, 'update.invalid'],
      [{ $set: { a: undefined } }, 'update.empty'],
      [{}, 'update.empty'],
    ];
    for (const [update, code] of cases)
      expect(
        refused(() => buildUpdate(update, { target: 't', protectedFields: ctx.protectedFields })).code,
        JSON.stringify(update),
      ).toBe(code);
  });
});

describe('guardPipeline sub-pipelines', () => {
  it('rewrites sub-pipeline $match values to $eq and keeps field-path let variables and trusted stages', () => {
    const stages = guardPipeline(
      [
        {
          $lookup: {
            from: 'users',
            let: { uid: '$authorId', n: 3 },
            pipeline: [
              trusted({ $match: { $expr: { $eq: ['$_id', '$$uid'] } } }),
              { $match: { role: 'admin' } },
            ],
            as: 'author',
          },
        },
        { $facet: { admins: [{ $match: { role: op.in(['admin']) } }], all: [{ $count: 'n' }] } },
        { $unionWith: 'archive' },
      ],
      {},
    );
    expect(stages).toEqual([
      {
        $lookup: {
          from: 'users',
          let: { uid: '$authorId', n: 3 },
          pipeline: [
            { $match: { $expr: { $eq: ['$_id', '$$uid'] } } },
            { $match: { role: { $eq: 'admin' } } },
          ],
          as: 'author',
        },
      },
      { $facet: { admins: [{ $match: { role: { $in: ['admin'] } } }], all: [{ $count: 'n' }] } },
      { $unionWith: 'archive' },
    ]);
  });

  it('refuses a forged operator or JavaScript at any depth, and an untrusted $expr in a sub-pipeline', () => {
    const forged = JSON.parse('{"password":{"$ne":null}}') as unknown;
    expect(
      refused(() => guardPipeline([{ $lookup: { from: 'u', as: 'x', pipeline: [{ $match: forged }] } }], {}))
        .code,
    ).toBe('injection.operator');
    expect(
      refused(() =>
        guardPipeline([{ $graphLookup: { from: 'u', as: 'x', restrictSearchWithMatch: forged } }], {}),
      ).code,
    ).toBe('injection.operator');
    expect(
      refused(() =>
        guardPipeline(
          [
            {
              $facet: {
                a: [{ $unionWith: { coll: 'u', pipeline: [{ $match: { $expr: { $eq: [1, 1] } } }] } }],
              },
            },
          ],
          {},
        ),
      ).code,
    ).toBe('injection.javascript');
    expect(refused(() => guardPipeline([{ $facet: { a: 'not a pipeline' } }], {})).code).toBe(
      'pipeline.invalid',
    );
  });
});
