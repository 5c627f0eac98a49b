// Repository CRUD on real engines: plain typed results, conflicts naming fields, optimistic locking, typed updates.
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  LimitExceededError,
  NotFoundError,
  ValidationError,
  UnsupportedError,
  VersionConflictError,
} from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { defineCollection, each, mongoRepository, ObjectId, op, or } from '../../src/mongo/index.js';
import type { MongoRepository } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

const Users = defineCollection({
  name: 'users',
  schema: z.object({
    email: z.email(),
    username: z.string().min(2),
    name: z.string(),
    role: z.enum(['user', 'admin', 'moderator']).default('user'),
    tags: z.array(z.string()).default([]),
    loginCount: z.number().int().default(0),
    bio: z.string().optional(),
  }),
  indexes: [
    { key: { email: 1 }, unique: true },
    { key: { username: 1 }, unique: true },
    { key: { role: 1 } },
  ],
  timestamps: true,
  version: true,
  mapId: true,
});

const Notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string(), body: z.string().optional() }),
  indexes: [{ key: { title: 1 }, unique: true }],
});

mongoSuite('mongo repository CRUD', (env) => {
  let users: MongoRepository<typeof Users>;
  let notes: MongoRepository<typeof Notes>;
  const events: OperationEvent[] = [];

  beforeAll(async () => {
    const { mongo } = env();
    mongo.instrumentation.subscribe((e) => events.push(e));
    users = mongoRepository(mongo, Users);
    notes = mongoRepository(mongo, Notes);
    await users.syncIndexes();
    await notes.syncIndexes();
  });

  describe('create', () => {
    it('validates, stamps system fields and returns a plain object with a string id', async () => {
      const before = Date.now();
      const ada = await users.create({ email: 'ada@example.com', username: 'ada', name: 'Ada' });
      expect(ada.id).toMatch(/^[0-9a-f]{24}$/);
      expect(ada).not.toHaveProperty('_id');
      expect(ada).toMatchObject({
        email: 'ada@example.com',
        role: 'user',
        tags: [],
        loginCount: 0,
        version: 1,
      });
      expect(ada.createdAt).toBeInstanceOf(Date);
      expect(ada.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(Object.getPrototypeOf(ada)).toBe(Object.prototype);
      expectTypeOf(ada).not.toBeAny();
      expectTypeOf(ada.id).toEqualTypeOf<string>();
      expectTypeOf(ada.createdAt).toEqualTypeOf<Date>();
      expectTypeOf(ada.version).toEqualTypeOf<number>();
      expectTypeOf(ada.role).toEqualTypeOf<'user' | 'admin' | 'moderator'>();
      expectTypeOf(ada).not.toHaveProperty('_id');
      const again = await users.findById(ada.id);
      expect(again).toEqual(ada);
    });

    it('rejects invalid input with the schema’s issues before touching the server', async () => {
      const err = await users
        .create({ email: 'not-an-email', username: 'x1', name: 'X' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toEqual(['email']);
    });

    it('turns a duplicate email into a ConflictError naming the email field', async () => {
      await users.create({ email: 'dup@example.com', username: 'dup1', name: 'Dup' });
      const err = await users
        .create({ email: 'dup@example.com', username: 'dup2', name: 'Dup' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).fields).toEqual(['email']);
      expect((err as ConflictError).message).not.toContain('dup@example.com');
      expect((err as ConflictError).cause).toBeDefined();
    });

    it('names the username when that is the unique key that collided', async () => {
      await users.create({ email: 'u1@example.com', username: 'taken', name: 'U' });
      const err = await users
        .create({ email: 'u2@example.com', username: 'taken', name: 'U' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).fields).toEqual(['username']);
    });

    it('names the single declared unique index of a collection', async () => {
      await notes.create({ title: 'hello' });
      const err = await notes.create({ title: 'hello' }).catch((e: unknown) => e);
      expect((err as ConflictError).fields).toEqual(['title']);
    });

    it('emits started and failed events with the conflict for a duplicate', async () => {
      events.length = 0;
      await notes.create({ title: 'hello' }).catch(() => undefined);
      const failed = events.find((e) => e.type === 'failed');
      expect(
        events.some((e) => e.type === 'started' && e.operation === 'create' && e.target === 'notes'),
      ).toBe(true);
      expect(failed?.type === 'failed' && failed.error.kind).toBe('conflict');
    });

    it('refuses a document over 16 MB with LimitExceededError before sending it', async () => {
      const err = await notes
        .create({ title: 'big', body: 'x'.repeat(17 * 1024 * 1024) })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitExceededError);
      expect((err as LimitExceededError).limit).toBe('documentSize');
      expect(await notes.exists({ title: 'big' })).toBe(false);
    });
  });

  describe('reads', () => {
    beforeAll(async () => {
      for (const [i, role] of (['admin', 'admin', 'moderator', 'user'] as const).entries()) {
        await users.create({
          email: `r${i}@example.com`,
          username: `reader${i}`,
          name: `Reader ${i}`,
          role,
          tags: ['r'],
        });
      }
    });

    it('treats a malformed id as a validation error, never a driver exception', async () => {
      for (const bad of ['nope', 'hello-world!', '123', '{"$ne":null}', 'zzzzzzzzzzzzzzzzzzzzzzzz']) {
        const err = await users.findById(bad).catch((e: unknown) => e);
        expect(err, bad).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).code).toBe('objectId.invalid');
      }
    });

    it('returns null for an id that does not exist', async () => {
      expect(await users.findById(new ObjectId().toHexString())).toBeNull();
    });

    it('finds with a typed filter, selection and sort', async () => {
      const admins = await users.findMany(
        { role: 'admin' },
        { select: ['name', 'email'], sort: { username: -1 } },
      );
      expect(admins.map((u) => u.name)).toEqual(['Reader 1', 'Reader 0']);
      expect(Object.keys(admins[0] ?? {}).sort()).toEqual(['email', 'id', 'name']);
      expectTypeOf(admins).toEqualTypeOf<{ id: string; name: string; email: string }[]>();
      const one = await users.findOne({ username: op.in(['reader2', 'nobody']) });
      expect((await users.findOne({ id: one?.id ?? '' }))?.username).toBe('reader2');
      expect(one?.role).toBe('moderator');
      const staff = await users.findMany(or({ role: 'admin' }, { role: 'moderator' }), {
        sort: { username: 1 },
      });
      expect(staff.map((u) => u.username)).toEqual(['reader0', 'reader1', 'reader2']);
    });

    it('answers exists, count and estimatedCount', async () => {
      expect(await users.exists({ role: 'moderator' })).toBe(true);
      expect(await users.exists({ role: 'nobody' as 'user' })).toBe(false);
      expect(await users.count({ tags: 'r' })).toBe(4);
      expect(await users.estimatedCount()).toBeGreaterThanOrEqual(4);
    });
  });

  describe('update', () => {
    it('applies $set / $inc / $push / $pull / $unset and returns the new document', async () => {
      const u = await users.create({
        email: 'upd@example.com',
        username: 'upd',
        name: 'Up',
        tags: ['a', 'b'],
        bio: 'hi',
      });
      const updated = await users.update(u.id, {
        $set: { name: 'Updated' },
        $inc: { loginCount: 2 },
        $push: { tags: each(['c', 'd']) },
        $unset: { bio: true },
      });
      expect(updated).toMatchObject({
        name: 'Updated',
        loginCount: 2,
        tags: ['a', 'b', 'c', 'd'],
        version: 2,
      });
      expect(updated).not.toHaveProperty('bio');
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(u.updatedAt.getTime());
      const pulled = await users.update(u.id, { $pull: { tags: 'a' } });
      expect(pulled.tags).toEqual(['b', 'c', 'd']);
    });

    it('pulls array elements matching an operator', async (t) => {
      t.skip(
        env().caps.flavor === 'ferretdb',
        'FerretDB v1 ignores $pull conditions (matches, modifies nothing)',
      );
      const u = await users.create({
        email: 'pull@example.com',
        username: 'pull',
        name: 'P',
        tags: ['a', 'b', 'c', 'd'],
      });
      const pulled = await users.update(u.id, { $pull: { tags: op.in(['a', 'c']) } });
      expect(pulled.tags).toEqual(['b', 'd']);
    });

    it('leaves out undefined values instead of storing null', async () => {
      const u = await users.create({ email: 'undef@example.com', username: 'undef', name: 'U', bio: 'kept' });
      const patch: { name: string; bio?: string | undefined } = { name: 'New', bio: undefined };
      const updated = await users.update(u.id, { $set: patch });
      expect(updated.bio).toBe('kept');
    });

    it('refuses versioned writes where updates are not atomic (FerretDB v1), and writes nothing', async (ctx) => {
      if (env().caps.atomicUpdates) ctx.skip(`${env().engine} has atomic single-document updates`);
      const u = await users.create({ email: 'nolock@example.com', username: 'nolock', name: 'N' });
      const err = await users
        .update(u.id, { $set: { name: 'changed' } }, { expectedVersion: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect((err as UnsupportedError).feature).toBe('atomicUpdates');
      await expect(users.delete(u.id, { expectedVersion: 1 })).rejects.toBeInstanceOf(UnsupportedError);
      expect((await users.findById(u.id))?.name).toBe('N');
    });

    it('tells a lost optimistic lock apart from a missing document', async (ctx) => {
      if (!env().caps.atomicUpdates)
        ctx.skip(`${env().engine} applies conditional updates as read-then-write (see the test above)`);
      const u = await users.create({ email: 'lock@example.com', username: 'lock', name: 'L' });
      await users.update(u.id, { $set: { name: 'first' } }, { expectedVersion: 1 });
      const lost = await users
        .update(u.id, { $set: { name: 'second' } }, { expectedVersion: 1 })
        .catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(VersionConflictError);
      expect((lost as VersionConflictError).actualVersion).toBe(2);
      const missing = await users
        .update(new ObjectId().toHexString(), { $set: { name: 'x' } }, { expectedVersion: 1 })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(NotFoundError);
      expect((await users.findById(u.id))?.name).toBe('first');
    });

    it('updates without reading back when asked', async () => {
      const u = await users.create({ email: 'noread@example.com', username: 'noread', name: 'N' });
      await expect(
        users.update(u.id, { $set: { name: 'M' } }, { returnDocument: false }),
      ).resolves.toBeUndefined();
      await expect(
        users.update(new ObjectId(), { $set: { name: 'M' } }, { returnDocument: false }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses updates to fields dbkit manages and operator keys inside data', async () => {
      const u = await users.create({ email: 'prot@example.com', username: 'prot', name: 'P' });
      const bad = [
        { $set: { version: 99 } },
        { $set: { createdAt: new Date(0) } },
        { $set: { name: { $gt: '' } } },
        { $rename: { name: 'x' } },
        { $set: { name: 'a' }, $unset: { name: true } },
      ];
      for (const update of bad) {
        await expect(users.update(u.id, update as never), JSON.stringify(update)).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
      expect((await users.findById(u.id))?.version).toBe(1);
    });
  });

  describe('schema versions', () => {
    it('upgrades documents stored at an older schemaVersion when they are read (lazy migration)', async () => {
      const People = defineCollection({
        name: 'people',
        schema: z.object({ firstName: z.string(), lastName: z.string() }),
        schemaVersion: 2,
        upgrade: (doc) => {
          const [firstName = '', ...rest] = String(doc.name ?? '').split(' ');
          const { name: _name, ...others } = doc;
          return { ...others, firstName, lastName: rest.join(' ') };
        },
      });
      const people = mongoRepository(env().mongo, People);
      const { insertedId } = await people.collection.insertOne({
        name: 'Grace Brewster Hopper',
        schemaVersion: 1,
      });
      expect(await people.findById(insertedId)).toEqual({
        _id: insertedId,
        firstName: 'Grace',
        lastName: 'Brewster Hopper',
        schemaVersion: 2,
      });
      const fresh = await people.create({ firstName: 'Alan', lastName: 'Turing' });
      expect(fresh).toMatchObject({ schemaVersion: 2 });
      expect(await people.findById(fresh._id)).toEqual(fresh);
    });
  });

  describe('delete', () => {
    it('deletes by id and reports a missing document', async () => {
      const n = await notes.create({ title: 'to-delete' });
      await notes.delete(n._id);
      expect(await notes.findById(n._id)).toBeNull();
      await expect(notes.delete(n._id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('honours the expected version on delete', async (ctx) => {
      if (!env().caps.atomicUpdates)
        ctx.skip(`${env().engine} applies conditional updates as read-then-write`);
      const u = await users.create({ email: 'del@example.com', username: 'del', name: 'D' });
      await expect(users.delete(u.id, { expectedVersion: 5 })).rejects.toBeInstanceOf(VersionConflictError);
      await users.delete(u.id, { expectedVersion: 1 });
      expect(await users.findById(u.id)).toBeNull();
    });

    it('refuses deleteMany with an empty filter unless explicitly allowed', async () => {
      await notes.create({ title: 'keep-1' });
      await expect(notes.deleteMany({})).rejects.toMatchObject({ code: 'filter.empty' });
      expect(await notes.count({ title: 'keep-1' })).toBe(1);
      expect(await notes.deleteMany({ title: op.startsWith('keep-') })).toBe(1);
      const left = await notes.count({});
      expect(await notes.deleteMany({}, { allowEmptyFilter: true })).toBe(left);
    });
  });
});
