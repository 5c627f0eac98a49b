// The injection corpus: known NoSQL attack payloads run as real queries; each is rejected or matches nothing it should not.
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/core/internal.js';
import { defineCollection, mongoRepository, op, trusted } from '../../src/mongo/index.js';
import type { MongoRepository } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

const Accounts = defineCollection({
  name: 'accounts',
  schema: z.object({
    email: z.string(),
    password: z.string(),
    name: z.string(),
    role: z.enum(['user', 'admin']),
    tags: z.array(z.string()),
    profile: z.object({ city: z.string() }),
  }),
  indexes: [{ key: { email: 1 }, unique: true }],
  searchable: ['name'],
});

type Repo = MongoRepository<typeof Accounts>;
/** A request body as a server receives it: parsed JSON, nothing typed. */
type Body = Record<string, unknown>;

/** How a route uses request data; each returns the documents the query matched. */
const routes = {
  /** The seed's login: `findOne({ email, password })` straight from the body. */
  login: async (repo: Repo, body: Body) => {
    const user = await repo.findOne({ email: body.email, password: body.password } as never);
    return user ? [user] : [];
  },
  /** A lazy list endpoint passing the body as the filter. */
  filter: (repo: Repo, body: Body) => repo.findMany(body),
  /** Search on a field that is not declared searchable: the pattern must match literally. */
  emailSearch: (repo: Repo, body: Body) => repo.findMany({ email: op.regex(body.q as string) }),
  /** Search on the declared searchable `name`. */
  nameSearch: (repo: Repo, body: Body) =>
    repo.findMany({ name: op.regex(body.q as string, (body.flags as string | undefined) ?? '') }),
  /** Tags filter from a list in the body. */
  tags: (repo: Repo, body: Body) => repo.findMany({ tags: op.in(body.tags as string[]) }),
  /** A value nested under an array-contains match. */
  tag: (repo: Repo, body: Body) => repo.findMany({ tags: body.tag } as never),
  /** Lookup by id from the URL. */
  byId: async (repo: Repo, body: Body) => {
    const found = await repo.findById(body.id as string);
    return found ? [found] : [];
  },
  /** Filter by id from the body. */
  idFilter: (repo: Repo, body: Body) => repo.findMany({ _id: body.id } as never),
  /** A sub-document equality from the body. */
  profile: (repo: Repo, body: Body) => repo.findMany({ profile: body.profile } as never),
  /** An aggregation whose $match is built from the body. */
  aggregate: (repo: Repo, body: Body) => repo.aggregate([{ $match: body }, { $limit: 10 }] as never),
  /** A count with the body as filter. */
  count: async (repo: Repo, body: Body) => {
    const n = await repo.count(body);
    return Array.from({ length: n });
  },
  /** deleteMany with the body as filter: the worst place for an injection. */
  deleteMany: async (repo: Repo, body: Body) => {
    const n = await repo.deleteMany(body);
    return Array.from({ length: n });
  },
} as const;

type Route = keyof typeof routes;
const parse = (json: string): Body => JSON.parse(json) as Body;

/** [description, route, body as the attacker sends it (JSON)]. */
const corpus: [string, Route, string][] = [
  // Operator injection in a login filter.
  ['$gt empty string as password', 'login', '{"email":"alice@example.com","password":{"$gt":""}}'],
  ['$ne null as password', 'login', '{"email":"alice@example.com","password":{"$ne":null}}'],
  ['$ne null as both fields', 'login', '{"email":{"$ne":null},"password":{"$ne":null}}'],
  ['$ne wrong password', 'login', '{"email":"alice@example.com","password":{"$ne":"wrong"}}'],
  ['$exists true', 'login', '{"email":"alice@example.com","password":{"$exists":true}}'],
  ['$regex match-all', 'login', '{"email":"alice@example.com","password":{"$regex":".*"}}'],
  ['$regex with $options', 'login', '{"email":{"$regex":"^a","$options":"i"},"password":{"$regex":""}}'],
  ['$in list of guesses', 'login', '{"email":"alice@example.com","password":{"$in":["alice-pw","x"]}}'],
  ['$nin empty', 'login', '{"email":"alice@example.com","password":{"$nin":[]}}'],
  ['$gte / $lt range', 'login', '{"email":"alice@example.com","password":{"$gte":"","$lt":"~"}}'],
  ['$not wrapping $eq', 'login', '{"email":"alice@example.com","password":{"$not":{"$eq":"x"}}}'],
  ['$type string', 'login', '{"email":"alice@example.com","password":{"$type":2}}'],
  [
    '$eq of the right value is still an operator',
    'login',
    '{"email":"alice@example.com","password":{"$eq":"alice-pw"}}',
  ],
  ['$where inside a field', 'login', '{"email":"alice@example.com","password":{"$where":"1 == 1"}}'],
  ['$expr inside a field', 'login', '{"email":"alice@example.com","password":{"$expr":{"$eq":[1,1]}}}'],
  ['$elemMatch on a scalar', 'login', '{"email":"alice@example.com","password":{"$elemMatch":{}}}'],
  ['$mod', 'login', '{"email":"alice@example.com","password":{"$mod":[1,0]}}'],
  ['$size', 'login', '{"email":"alice@example.com","password":{"$size":0}}'],
  ['$all', 'login', '{"email":"alice@example.com","password":{"$all":[]}}'],
  [
    'string closing a JS literal',
    'login',
    '{"email":"alice@example.com","password":"\'; return true; var x=\'"}',
  ],
  ['boolean true as password', 'login', '{"email":"alice@example.com","password":true}'],
  ['array of guesses as password', 'login', '{"email":"alice@example.com","password":["alice-pw","bob-pw"]}'],
  ['null as password', 'login', '{"email":"alice@example.com","password":null}'],
  // Top-level operators when the body is used as a filter.
  ['$where string', 'filter', '{"$where":"this.password.length > 0"}'],
  ['$where function', 'filter', '{"$where":"function(){ return true }"}'],
  ['$where sleep (DoS)', 'filter', '{"$where":"sleep(5000) || true"}'],
  ['$or with an empty branch', 'filter', '{"$or":[{},{"role":"admin"}]}'],
  ['$nor', 'filter', '{"$nor":[{"role":"nobody"}]}'],
  ['$and empty', 'filter', '{"$and":[]}'],
  [
    '$expr with $function',
    'filter',
    '{"$expr":{"$function":{"body":"function(){return true}","args":[],"lang":"js"}}}',
  ],
  ['$expr comparing fields', 'filter', '{"$expr":{"$eq":["$password","$password"]}}'],
  ['$text search', 'filter', '{"$text":{"$search":"alice"}}'],
  ['$jsonSchema', 'filter', '{"$jsonSchema":{}}'],
  ['$comment', 'filter', '{"$comment":"x","role":"admin"}'],
  ['$accumulator', 'filter', '{"$accumulator":{}}'],
  // Dotted keys and prototype pollution.
  ['undeclared dotted path', 'filter', '{"profile.city":"Paris"}'],
  ['dotted path into an operator', 'filter', '{"password.$ne":null}'],
  ['__proto__ key', 'filter', '{"__proto__":{"role":"admin"}}'],
  ['constructor.prototype', 'filter', '{"constructor":{"prototype":{"isAdmin":true}}}'],
  ['prototype key', 'filter', '{"prototype":{"role":"admin"}}'],
  ['__proto__ inside a value', 'profile', '{"profile":{"__proto__":{"city":"Paris"}}}'],
  ['operator inside a sub-document', 'profile', '{"profile":{"city":{"$ne":null}}}'],
  ['NUL byte in a key', 'filter', '{"role\\u0000":"admin"}'],
  ['BSON type forgery', 'profile', '{"profile":{"_bsontype":"Code","code":"return true"}}'],
  // Nested operators in arrays.
  ['operator in an $in list', 'tags', '{"tags":[{"$gt":""}]}'],
  ['operator in an array value', 'tag', '{"tag":[{"$ne":null}]}'],
  ['operator object as array element', 'tag', '{"tag":{"$elemMatch":{"$ne":null}}}'],
  // Regular expressions.
  ['match-all regex on a non-searchable field', 'emailSearch', '{"q":".*"}'],
  ['anchored prefix regex on a non-searchable field', 'emailSearch', '{"q":"^a"}'],
  ['catastrophic (a+)+$', 'nameSearch', '{"q":"^(a+)+$"}'],
  ['catastrophic (.*a){20}', 'nameSearch', '{"q":"(.*a){20}"}'],
  ['catastrophic alternation (a|aa)*', 'nameSearch', '{"q":"^(a|aa)*$"}'],
  ['backreference', 'nameSearch', '{"q":"(a)\\\\1"}'],
  ['overlong pattern', 'nameSearch', `{"q":"${'a'.repeat(300)}"}`],
  ['unknown regex flag', 'nameSearch', '{"q":"a","flags":"g"}'],
  // Ids.
  ['operator as id', 'idFilter', '{"id":{"$gt":""}}'],
  ['non-ObjectId string id', 'byId', '{"id":"1 || 1==1"}'],
  ['12-character id the driver would accept', 'byId', '{"id":"aaaaaaaaaaaa"}'],
  // Aggregation, count and delete.
  ['$where in an aggregate $match', 'aggregate', '{"$where":"true"}'],
  ['operator injection in an aggregate $match', 'aggregate', '{"role":{"$ne":"x"}}'],
  ['$ne in a count', 'count', '{"password":{"$ne":null}}'],
  ['empty filter on deleteMany', 'deleteMany', '{}'],
  ['$exists on deleteMany', 'deleteMany', '{"email":{"$exists":true}}'],
];

mongoSuite('injection corpus', (env) => {
  let repo: Repo;
  beforeAll(async () => {
    repo = mongoRepository(env().mongo, Accounts);
    await repo.create({
      email: 'alice@example.com',
      password: 'alice-pw',
      name: 'Alice',
      role: 'admin',
      tags: ['staff'],
      profile: { city: 'Paris' },
    });
    await repo.create({
      email: 'bob@example.com',
      password: 'bob-pw',
      name: 'Bob',
      role: 'user',
      tags: ['customer'],
      profile: { city: 'Oslo' },
    });
  });

  it('holds at least 40 payloads', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(corpus)('%s (%s)', (_label, route, json) => {
    it('is rejected with a validation error naming the path, or matches nothing', async () => {
      const outcome = await routes[route](repo, parse(json)).then(
        (docs) => ({ docs }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) {
        expect(outcome.error).toBeInstanceOf(ValidationError);
        const issue = (outcome.error as ValidationError).issues[0];
        expect(issue?.code).toBeTruthy();
      } else {
        expect(outcome.docs).toEqual([]);
      }
      // Nothing was deleted or changed by any payload.
      expect(await repo.count({})).toBe(2);
    });
  });

  it('still lets the legitimate login and searches through', async () => {
    expect(await routes.login(repo, { email: 'alice@example.com', password: 'alice-pw' })).toHaveLength(1);
    expect(await routes.login(repo, { email: 'alice@example.com', password: 'bob-pw' })).toHaveLength(0);
    expect(await routes.nameSearch(repo, { q: '^Al', flags: 'i' })).toHaveLength(1);
    expect(await routes.emailSearch(repo, { q: 'bob@' })).toHaveLength(1);
    expect(await routes.tags(repo, { tags: ['staff', 'customer'] })).toHaveLength(2);
  });

  it('matches a regex from input literally on fields not declared searchable', async () => {
    await repo.create({
      email: 'a.*@example.com',
      password: 'x',
      name: 'Literal',
      role: 'user',
      tags: [],
      profile: { city: 'Rome' },
    });
    const hits = await routes.emailSearch(repo, { q: '.*' });
    expect(hits.map((u) => u.email)).toEqual(['a.*@example.com']);
    await repo.deleteMany({ email: 'a.*@example.com' });
  });

  it('lets a trusted, server-built filter use operators', async () => {
    const admins = await repo.findMany(
      trusted({ role: { $in: ['admin'] }, 'profile.city': { $exists: true } }),
    );
    expect(admins.map((u) => u.email)).toEqual(['alice@example.com']);
    await expect(repo.findMany(trusted({ $where: 'true' }))).rejects.toMatchObject({
      code: 'injection.javascript',
    });
  });
});
