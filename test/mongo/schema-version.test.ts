// Lazy schema migration on real engines: every write path stamps the version, updates never mix versions or lose a write, projections upgrade from the full document, optional write-back.
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConditionFailedError,
  NotFoundError,
  UnsupportedError,
  VersionConflictError,
} from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { defineCollection, mongoRepository, op } from '../../src/mongo/index.js';
import type { Document } from 'mongodb';
import type { MongoRepository } from '../../src/mongo/index.js';
import { writeBackUpgrade } from '../../src/mongo/documents.js';
import {
  needsUpgrade,
  olderThanCurrentFilter,
  projectDocument,
  unchangedFilter,
  upgradeDocument,
} from '../../src/mongo/schema-version.js';
import { mongoSuite } from './support.js';

// Version 1 stored `name: 'First Last'`; version 2 splits it.
const upgrades: Document[] = [];
function splitName(doc: Document): Document {
  upgrades.push(doc);
  const [firstName = '', ...rest] = String(doc.name ?? '').split(' ');
  const { name: _name, ...others } = doc;
  return { ...others, firstName, lastName: rest.join(' ') };
}

const personSchema = z.object({
  firstName: z.string(),
  lastName: z.string(),
  city: z.string().optional(),
  visits: z.number().optional(),
});

function people(name: string, extra: { version?: true; mapId?: true; writeBackUpgrades?: boolean } = {}) {
  return defineCollection({
    name,
    schema: personSchema,
    schemaVersion: 2,
    upgrade: splitName,
    ...extra,
  });
}

// Results typed loosely: these tests look at system fields (`_id`, `version`, `schemaVersion`) whatever the options.
type Loose = ReturnType<typeof defineCollection<typeof personSchema, boolean, boolean, false>>;

mongoSuite('lazy schema migration', (env) => {
  let n = 0;
  const fresh = (extra: Parameters<typeof people>[1] = {}): MongoRepository<Loose> => {
    n += 1;
    return mongoRepository(env().mongo, people(`people_${n}`, extra)) as never;
  };
  beforeEach(() => {
    upgrades.length = 0;
  });
  // Upgrading a stored document in place is a conditional write: it needs atomic conditional updates.
  const needsAtomic = (ctx: { skip: (note: string) => void }): void => {
    if (!env().caps.atomicUpdates)
      ctx.skip(
        `${env().engine} applies conditional updates as read-then-write (see the UnsupportedError test)`,
      );
  };

  describe('update by id', () => {
    it('upgrades an older document before a partial update: the update is kept and the version stamped', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh();
      const { insertedId } = await repo.collection.insertOne({ name: 'Grace Hopper', schemaVersion: 1 });
      const updated = await repo.update(insertedId, { $set: { firstName: 'Amazing' } });
      expect(updated).toEqual({
        _id: insertedId,
        firstName: 'Amazing',
        lastName: 'Hopper',
        schemaVersion: 2,
      });
      // Stored at the current version, in the current shape only: no field of version 1 left.
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual(updated);
      upgrades.length = 0;
      expect(await repo.findById(insertedId)).toEqual(updated);
      expect(upgrades).toHaveLength(0);
    });

    it('does the same without returning the document, and for a document with no schemaVersion', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh();
      const { insertedId } = await repo.collection.insertOne({ name: 'Ada Lovelace' });
      await repo.update(insertedId, { $set: { lastName: 'King' } }, { returnDocument: false });
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual({
        _id: insertedId,
        firstName: 'Ada',
        lastName: 'King',
        schemaVersion: 2,
      });
    });

    it('loses no update when concurrent updates all find the document older', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh();
      const { insertedId } = await repo.collection.insertOne({
        name: 'Linus Torvalds',
        visits: 0,
        schemaVersion: 1,
      });
      await Promise.all(Array.from({ length: 10 }, () => repo.update(insertedId, { $inc: { visits: 1 } })));
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual({
        _id: insertedId,
        firstName: 'Linus',
        lastName: 'Torvalds',
        visits: 10,
        schemaVersion: 2,
      });
    });

    it('costs one round trip and never runs upgrade for a current document', async () => {
      const repo = fresh();
      const doc = await repo.create({ firstName: 'Alan', lastName: 'Turing' });
      const events: OperationEvent[] = [];
      const stop = env().mongo.instrumentation.subscribe((e) => events.push(e));
      await repo.update(doc._id, { $set: { city: 'Manchester' } });
      stop();
      expect(events.filter((e) => e.type === 'succeeded').map((e) => e.operation)).toEqual(['update']);
      expect(upgrades).toHaveLength(0);
    });

    it('keeps optimistic locking: the expected version survives the upgrade, a stale one conflicts', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh({ version: true });
      const { insertedId } = await repo.collection.insertOne({
        name: 'Edsger Dijkstra',
        version: 3,
        schemaVersion: 1,
      });
      const read = await repo.findById(insertedId);
      expect(read).toMatchObject({ version: 3, firstName: 'Edsger', schemaVersion: 2 });
      await expect(
        repo.update(insertedId, { $set: { city: 'Austin' } }, { expectedVersion: 2 }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(await repo.collection.findOne({ _id: insertedId })).toMatchObject({ schemaVersion: 1 });
      const updated = await repo.update(insertedId, { $set: { city: 'Austin' } }, { expectedVersion: 3 });
      expect(updated).toMatchObject({ version: 4, city: 'Austin', firstName: 'Edsger', schemaVersion: 2 });
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual({
        _id: insertedId,
        firstName: 'Edsger',
        lastName: 'Dijkstra',
        city: 'Austin',
        version: 4,
        schemaVersion: 2,
      });
    });

    it('refuses to update an older document where conditional writes are not atomic', async (ctx) => {
      if (env().caps.atomicUpdates) ctx.skip(`${env().engine} has atomic single-document updates`);
      const repo = fresh({ writeBackUpgrades: true });
      const { insertedId } = await repo.collection.insertOne({ name: 'Grace Hopper', schemaVersion: 1 });
      const err = await repo.update(insertedId, { $set: { city: 'Arlington' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect(err).toMatchObject({ code: 'unsupported.atomicUpdates' });
      // Reads still answer (upgraded), and write nothing back there.
      expect(await repo.findById(insertedId)).toMatchObject({ firstName: 'Grace', schemaVersion: 2 });
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual({
        _id: insertedId,
        name: 'Grace Hopper',
        schemaVersion: 1,
      });
    });

    it('still reports a missing document', async () => {
      const repo = fresh();
      const missing = (await repo.create({ firstName: 'x', lastName: 'y' }))._id;
      await repo.delete(missing);
      await expect(repo.update(missing, { $set: { city: 'Nowhere' } })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses schemaVersion as an update field', async () => {
      const repo = fresh();
      const doc = await repo.create({ firstName: 'a', lastName: 'b' });
      await expect(repo.update(doc._id, { $set: { schemaVersion: 1 } } as never)).rejects.toMatchObject({
        code: 'update.protectedField',
      });
    });

    it('gives upgrade the stored document with _id even when results map ids', async () => {
      const repo = fresh({ mapId: true });
      const { insertedId } = await repo.collection.insertOne({ name: 'Barbara Liskov', schemaVersion: 1 });
      expect(await repo.findById(insertedId)).toEqual({
        id: insertedId.toHexString(),
        firstName: 'Barbara',
        lastName: 'Liskov',
        schemaVersion: 2,
      });
      expect(upgrades[0]).toEqual({ _id: insertedId, name: 'Barbara Liskov', schemaVersion: 1 });
    });
  });

  describe('reads with a projection', () => {
    it('never upgrades a current document from its projected part', async () => {
      const repo = fresh();
      const doc = await repo.create({ firstName: 'Alan', lastName: 'Turing' });
      expect(await repo.findById(doc._id, { select: ['firstName'] })).toEqual({
        _id: doc._id,
        firstName: 'Alan',
      });
      expect(upgrades).toHaveLength(0);
    });

    it('upgrades an older document from the full stored document, then projects it', async () => {
      const repo = fresh();
      const { insertedId } = await repo.collection.insertOne({
        name: 'Grace Brewster Hopper',
        schemaVersion: 1,
      });
      expect(await repo.findById(insertedId, { select: ['lastName'] })).toEqual({
        _id: insertedId,
        lastName: 'Brewster Hopper',
      });
      expect(upgrades[0]).toEqual({ _id: insertedId, name: 'Grace Brewster Hopper', schemaVersion: 1 });
    });

    it('does so in findMany and paginate over a mix of versions, in order', async () => {
      const repo = fresh();
      await repo.collection.insertMany([
        { name: 'A One', city: 'x', schemaVersion: 1 },
        { firstName: 'B', lastName: 'Two', city: 'x', schemaVersion: 2 },
        { name: 'C Three', city: 'x' },
      ]);
      const many = await repo.findMany({ city: 'x' }, { select: ['lastName'], sort: { _id: 1 } });
      expect(many.map((d) => ({ ...d, _id: undefined }))).toEqual([
        { lastName: 'One' },
        { lastName: 'Two' },
        { lastName: 'Three' },
      ]);
      const page = await repo.paginate(
        { city: 'x' },
        { select: ['firstName', 'schemaVersion' as never], limit: 2 },
      );
      expect(page.items.map((d: Document) => [d.firstName, d.schemaVersion] as unknown[])).toEqual([
        ['A', 2],
        ['B', 2],
      ]);
      const next = await repo.paginate(
        { city: 'x' },
        { select: ['firstName'], limit: 2, cursor: page.cursor },
      );
      expect(next.items.map((d) => d.firstName)).toEqual(['C']);
      expect(upgrades).toHaveLength(4);
      // Reads stay reads by default.
      expect(await repo.collection.countDocuments(olderThanCurrentFilter(repo.ctx.definition))).toBe(2);
    });
  });

  describe('write-back on read', () => {
    it('writes the upgraded document back when the collection asks for it', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh({ writeBackUpgrades: true });
      const { insertedId } = await repo.collection.insertOne({ name: 'Ken Thompson', schemaVersion: 1 });
      expect(await repo.findById(insertedId, { select: ['firstName'] })).toEqual({
        _id: insertedId,
        firstName: 'Ken',
      });
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual({
        _id: insertedId,
        firstName: 'Ken',
        lastName: 'Thompson',
        schemaVersion: 2,
      });
      upgrades.length = 0;
      await repo.findById(insertedId);
      expect(upgrades).toHaveLength(0);
    });

    it('never overwrites a write made since the document was read (all fields compared)', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh();
      const { insertedId } = await repo.collection.insertOne({ name: 'Dennis Ritchie', schemaVersion: 1 });
      const stale = (await repo.collection.findOne({ _id: insertedId }))!;
      await repo.collection.updateOne({ _id: insertedId }, { $set: { name: 'Dennis MacAlistair Ritchie' } });
      expect(await writeBackUpgrade(repo.ctx, stale, {})).toBe(false);
      expect(await repo.collection.findOne({ _id: insertedId })).toMatchObject({
        name: 'Dennis MacAlistair Ritchie',
        schemaVersion: 1,
      });
      const current = (await repo.collection.findOne({ _id: insertedId }))!;
      expect(await writeBackUpgrade(repo.ctx, current, {})).toBe(true);
      expect(await repo.findById(insertedId)).toMatchObject({ lastName: 'MacAlistair Ritchie' });
    });

    it('keeps a field another writer added after the read (unversioned collection)', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh();
      const { insertedId } = await repo.collection.insertOne({ name: 'Barbara Liskov', schemaVersion: 1 });
      const read = (await repo.collection.findOne({ _id: insertedId }))!;
      // A field the read did not see is not in the write-back's condition: it must survive the upgrade.
      await repo.collection.updateOne({ _id: insertedId }, { $set: { city: 'Boston' } });
      expect(await writeBackUpgrade(repo.ctx, read, {})).toBe(true);
      expect(await repo.collection.findOne({ _id: insertedId })).toEqual({
        _id: insertedId,
        firstName: 'Barbara',
        lastName: 'Liskov',
        city: 'Boston',
        schemaVersion: 2,
      });
    });

    it('never overwrites a write made since the document was read (optimistic version compared)', async (ctx) => {
      needsAtomic(ctx);
      const repo = fresh({ version: true });
      const { insertedId } = await repo.collection.insertOne({
        name: 'Niklaus Wirth',
        version: 1,
        schemaVersion: 1,
      });
      const stale = (await repo.collection.findOne({ _id: insertedId }))!;
      await repo.collection.updateOne(
        { _id: insertedId },
        { $set: { name: 'Nik Wirth' }, $inc: { version: 1 } },
      );
      expect(await writeBackUpgrade(repo.ctx, stale, {})).toBe(false);
      expect(await repo.collection.findOne({ _id: insertedId })).toMatchObject({
        name: 'Nik Wirth',
        version: 2,
      });
    });
  });

  describe('whole-document writes stamp the version', () => {
    it('create, bulk insertOne and an upsert that inserts', async () => {
      const repo = fresh();
      const created = await repo.create({ firstName: 'a', lastName: 'b' });
      const report = await repo.bulkWrite([
        { insertOne: { document: { firstName: 'c', lastName: 'd' } } },
        { updateOne: { filter: { firstName: 'e' }, update: { $set: { lastName: 'f' } }, upsert: true } },
      ]);
      expect(report).toMatchObject({ ok: true, insertedCount: 1, upsertedCount: 1 });
      const stored = await repo.collection.find({}).toArray();
      expect(stored.map((d) => [d.firstName, d.schemaVersion] as unknown[]).sort()).toEqual([
        ['a', 2],
        ['c', 2],
        ['e', 2],
      ]);
      expect((created as Document).schemaVersion).toBe(2);
    });
  });

  describe('multi-document updates', () => {
    it('updateMany refuses to run over older documents and updates nothing', async () => {
      const repo = fresh();
      await repo.collection.insertMany([
        { name: 'Old One', city: 'y', schemaVersion: 1 },
        { firstName: 'New', lastName: 'Two', city: 'y', schemaVersion: 2 },
      ]);
      const error = await repo
        .updateMany({ city: 'y' }, { $set: { lastName: 'Z' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConditionFailedError);
      expect(error).toMatchObject({ code: 'migration.pending' });
      expect(await repo.collection.countDocuments({ lastName: 'Z' })).toBe(0);
      // Once the older documents are migrated (as the batch migration does), it runs.
      const old = (await repo.collection.findOne({ schemaVersion: 1 }))!;
      await repo.collection.replaceOne({ _id: old._id }, upgradeDocument(repo.ctx.definition, old));
      expect(await repo.updateMany({ city: 'y' }, { $set: { lastName: 'Z' } })).toMatchObject({
        matchedCount: 2,
      });
      expect(await repo.collection.countDocuments({ lastName: 'Z', schemaVersion: 2 })).toBe(2);
    });

    it('bulk updates over older documents fail with the reason; the others apply', async () => {
      const repo = fresh();
      const { insertedId: oldId } = await repo.collection.insertOne({ name: 'Old Bulk', schemaVersion: 1 });
      const current = await repo.create({ firstName: 'New', lastName: 'Bulk' });
      const report = await repo.bulkWrite([
        { updateOne: { filter: { _id: oldId }, update: { $set: { city: 'p' } } } },
        { updateOne: { filter: { _id: current._id }, update: { $set: { city: 'q' } } } },
        { updateMany: { filter: { city: op.exists(false) }, update: { $set: { city: 'r' } } } },
      ]);
      expect(report.failed.map((f) => [f.index, f.error.code])).toEqual([
        [0, 'migration.pending'],
        [2, 'migration.pending'],
      ]);
      expect(report.modifiedCount).toBe(1);
      expect(await repo.collection.findOne({ _id: oldId })).toEqual({
        _id: oldId,
        name: 'Old Bulk',
        schemaVersion: 1,
      });
      expect(await repo.collection.findOne({ _id: current._id })).toMatchObject({
        city: 'q',
        schemaVersion: 2,
      });
    });
  });

  describe('the pure helpers the batch migration reuses', () => {
    const def = people('unused', { version: true });

    it('tell older documents and upgrade them with the stamp after upgrade', () => {
      expect(needsUpgrade(def, { _id: 1, name: 'a b' })).toBe(true);
      expect(needsUpgrade(def, { _id: 1, schemaVersion: 2 })).toBe(false);
      const stamped = upgradeDocument(
        { ...def, upgrade: (d) => ({ ...d, schemaVersion: 99, _id: 'changed' }) },
        { _id: 1, schemaVersion: 1 },
      );
      expect(stamped).toEqual({ _id: 1, schemaVersion: 2 });
      const current = { _id: 1, firstName: 'a', schemaVersion: 2 };
      expect(upgradeDocument(def, current)).toBe(current);
      expect(unchangedFilter(def, { _id: 1, version: 4, schemaVersion: 1, x: 1 })).toEqual({
        _id: 1,
        schemaVersion: 1,
        version: 4,
      });
      expect(
        projectDocument({ _id: 1, a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] }, { 'b.c': 1, 'e.f': 1 }),
      ).toEqual({
        _id: 1,
        b: { c: 2 },
        e: [{ f: 1 }],
      });
    });

    it('the older-than-current filter selects exactly the older documents on the server', async () => {
      const repo = fresh();
      await repo.collection.insertMany([
        { schemaVersion: 1 },
        {},
        { schemaVersion: 2 },
        { schemaVersion: 3 },
      ]);
      expect(await repo.collection.countDocuments(olderThanCurrentFilter(def))).toBe(2);
    });
  });
});
