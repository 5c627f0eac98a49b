// dbkitPlugin on the seed's User / Post / Comment models: injection guard, conflicts, optimistic locking, events, pool sharing.
import mongoose from 'mongoose';
import { beforeAll, expect, it, vi } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  UnsupportedError,
  ValidationError,
  VersionConflictError,
} from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { dbkitPlugin, expectVersion, withMongooseTransaction } from '../../src/mongoose/index.js';
import { seedModels } from './models.js';
import { mongooseSuite } from './support.js';

type Models = ReturnType<typeof seedModels>;

mongooseSuite('dbkitPlugin', (env) => {
  let models: Models;
  const events: OperationEvent[] = [];

  beforeAll(async () => {
    const { conn, dbkit } = env();
    dbkit.instrumentation.subscribe((e) => events.push(e));
    models = seedModels(conn, { connection: dbkit });
    // Indexes first: the unique email index must exist, and mongo-java-server fails writes that race index builds.
    await Promise.all([models.User.init(), models.Post.init(), models.Comment.init()]);
    await models.User.create([
      { name: 'Ada', email: 'ada@example.com', role: 'admin' },
      { name: 'Bob', email: 'bob@example.com' },
    ]);
    const ada = await models.User.findOne({ email: 'ada@example.com' }).orFail();
    await models.Post.create({ title: 'Hello', content: 'First post', authorId: ada._id, tags: ['db'] });
  });

  // What an attacker posts as the login body ({"email": {"$gt": ""}}), typed as the route expects it.
  const bypass = (): string => JSON.parse('{"$gt": ""}') as string;

  it('blocks the {"$gt": ""} login bypass on every query path', async () => {
    const { User, Post } = models;
    const attempts: [string, () => Promise<unknown>][] = [
      ['findOne', () => User.findOne({ email: bypass() })],
      ['find', () => User.find({ email: bypass() })],
      ['countDocuments', () => User.countDocuments({ email: bypass() })],
      ['where chain', () => User.findOne().where('email').equals(bypass())],
      ['updateOne', () => User.updateOne({ email: bypass() }, { role: 'admin' })],
      ['updateMany', () => User.updateMany({ email: bypass() }, { role: 'admin' })],
      ['findOneAndUpdate', () => User.findOneAndUpdate({ email: bypass() }, { role: 'admin' })],
      ['replaceOne', () => User.replaceOne({ email: bypass() }, { name: 'x', email: 'x@example.com' })],
      ['deleteOne', () => User.deleteOne({ email: bypass() })],
      ['deleteMany', () => User.deleteMany({ email: bypass() })],
      ['$or', () => User.find({ $or: [{ email: 'ada@example.com' }, { email: bypass() }] })],
      ['$where', () => User.find({ $where: 'sleep(100)' })],
      ['aggregate $match', () => User.aggregate([{ $match: { email: bypass() } }])],
      ['populate match', () => Post.find().populate({ path: 'authorId', match: { email: bypass() } })],
    ];
    for (const [name, attempt] of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ValidationError);
    }
    // Nothing was changed or deleted along the way.
    expect(await User.countDocuments({ role: 'admin' })).toBe(1);
    expect(await User.countDocuments({})).toBe(2);
  });

  it('compares request values as literals and lets operators written in code through', async () => {
    const { User } = models;
    expect(await User.findOne({ email: 'ada@example.com' }).lean()).toMatchObject({ name: 'Ada' });
    expect(await User.countDocuments({ email: mongoose.trusted({ $gt: '' }) })).toBe(2);
    expect(
      await User.countDocuments()
        .where('email')
        .equals(mongoose.trusted({ $gt: '' })),
    ).toBe(2);
    expect(await User.countDocuments({ $or: [{ name: 'Ada' }, { name: 'Bob' }] })).toBe(2);
    const [row] = await User.aggregate<{ n: number }>([{ $match: { role: 'admin' } }, { $count: 'n' }]);
    expect(row?.n).toBe(1);
  });

  it('maps a duplicate email to a ConflictError naming the field, on every write path', async () => {
    const { User } = models;
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => User.create({ name: 'Again', email: 'ada@example.com' })],
      ['save', () => new User({ name: 'Again', email: 'ADA@example.com' }).save()],
      ['insertMany', () => User.insertMany([{ name: 'Again', email: 'ada@example.com' }])],
      ['updateOne', () => User.updateOne({ email: 'bob@example.com' }, { email: 'ada@example.com' })],
      [
        'findOneAndUpdate upsert',
        () =>
          User.findOneAndUpdate(
            { name: 'Nobody' },
            { $set: { email: 'ada@example.com' } },
            { upsert: true, returnDocument: 'after' },
          ),
      ],
    ];
    for (const [name, write] of writes) {
      const err = await write().catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).fields, name).toEqual(['email']);
      expect((err as ConflictError).message, name).not.toContain('E11000');
    }
  });

  it('refuses a stale version on every update path (VersionConflictError) and tells a missing document apart', async () => {
    const { User } = models;
    const carol = await User.create({ name: 'Carol', email: 'carol@example.com' });
    const id = carol._id;
    if (!env().caps.atomicUpdates) {
      // FerretDB v1 applies conditional updates as read-then-write: dbkit refuses instead of pretending.
      const err = await User.updateOne({ _id: id }, { name: 'C' }, expectVersion(0)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect((err as UnsupportedError).feature).toBe('atomicUpdates');
      return;
    }
    await User.updateOne({ _id: id }, { name: 'Carol 1' }, expectVersion(0));
    expect((await User.findById(id).lean())?.__v).toBe(1);
    const stale = await User.updateOne({ _id: id }, { name: 'Carol 2' }, expectVersion(0)).catch(
      (e: unknown) => e,
    );
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect((stale as VersionConflictError).actualVersion).toBe(1);
    for (const [name, write] of [
      ['updateMany', () => User.updateMany({ _id: id }, { name: 'x' }, expectVersion(0))],
      ['findOneAndUpdate', () => User.findOneAndUpdate({ _id: id }, { name: 'x' }, expectVersion(0))],
      [
        'replaceOne',
        () => User.replaceOne({ _id: id }, { name: 'x', email: 'carol@example.com' }, expectVersion(0)),
      ],
    ] as const) {
      expect(await write().catch((e: unknown) => e), name).toBeInstanceOf(VersionConflictError);
    }
    expect((await User.findById(id).lean())?.name).toBe('Carol 1');
    const updated = await User.findOneAndUpdate(
      { _id: id },
      { name: 'Carol 2' },
      expectVersion(1, { returnDocument: 'after' as const }),
    );
    expect(updated?.__v).toBe(2);
    const missing = await User.updateOne(
      { _id: new mongoose.Types.ObjectId() },
      { name: 'x' },
      expectVersion(0),
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it('emits dbkit operation events for queries and saves', async () => {
    const { Comment } = models;
    events.length = 0;
    const postId = new mongoose.Types.ObjectId();
    await Comment.create({ postId, authorId: new mongoose.Types.ObjectId(), content: 'hi' });
    await Comment.find({ postId });
    const names = events.map((e) => `${e.type}:${e.operation}:${e.target}`);
    expect(names).toContain('succeeded:save:Comment');
    expect(names).toContain('succeeded:find:Comment');
    const failed = await Comment.find({ postId: bypass() }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ValidationError);
  });

  it('logs slow operations to the plugin’s own logger when no connection is given', async () => {
    const warn = vi.fn();
    const logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
    const schema = new mongoose.Schema({ label: String });
    schema.plugin(dbkitPlugin, { logger, slowOperationMs: 0 });
    const Slow = env().conn.model('Slow', schema);
    await Slow.create({ label: 'x' });
    await Slow.findOne({ label: 'x' });
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ engine: 'mongodb', operation: 'findOne', target: 'Slow' }),
      'dbkit: slow operation',
    );
  });

  it('shares one connection pool with dbkit repositories', () => {
    const { conn, dbkit, shared, refused } = env();
    // Refused only when the application's mongodb has another BSON major than Mongoose's driver.
    if (shared) expect(dbkit.client).toBe(conn.getClient());
    else expect(refused).toMatchObject({ name: 'UnsupportedError', code: 'unsupported.bsonVersion' });
  });

  it('refuses transactions without a replica set, running nothing', async (t) => {
    const { conn, caps } = env();
    const { Post } = models;
    if (caps.transactions) {
      t.skip(
        true,
        'retry behaviour is only tested with MONGODB_URI on a replica set (see transactions.test.ts)',
      );
      return;
    }
    let ran = false;
    const err = await withMongooseTransaction(conn, async ({ session }) => {
      ran = true;
      await Post.create([{ title: 't', content: 'c', authorId: new mongoose.Types.ObjectId() }], { session });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).feature).toBe('transactions');
    expect(ran).toBe(false);
  });
});
