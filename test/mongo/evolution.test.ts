// Schema evolution recipes on real engines: the batch migration to the current schemaVersion, a new field with a default, a rename, and a migration that indexes then backfills.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { z } from 'zod';
import type { Document } from 'mongodb';
import {
  backfill,
  defineCollection,
  deployMigrations,
  migrateToCurrentSchema,
  mongoRepository,
  op,
} from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

// Version 1 stored `name: 'First Last'`; version 2 splits it.
function splitName(doc: Document): Document {
  const [firstName = '', ...rest] = String(doc.name ?? '').split(' ');
  const { name: _name, ...others } = doc;
  return { ...others, firstName, lastName: rest.join(' ') };
}

const People = (name: string) =>
  defineCollection({
    name,
    schema: z.object({ firstName: z.string(), lastName: z.string(), city: z.string().optional() }),
    schemaVersion: 2,
    upgrade: splitName,
  });

mongoSuite('schema evolution recipes', (env) => {
  it('migrates every older document to the current schemaVersion; a dry run first changes nothing', async () => {
    const repo = mongoRepository(env().mongo, People('people_batch'));
    await repo.collection.insertMany([
      ...Array.from({ length: 120 }, (_, i) => ({ name: `Old${i} Person`, schemaVersion: 1 })),
      ...Array.from({ length: 30 }, (_, i) => ({ name: `Ancient${i} One` })),
    ]);
    await repo.create({ firstName: 'Grace', lastName: 'Hopper' });
    const dry = await migrateToCurrentSchema(repo, { dryRun: true, batchSize: 40 });
    expect(dry).toMatchObject({ dryRun: true, scanned: 150, changed: 150, total: 150 });
    expect(await repo.collection.countDocuments({ schemaVersion: 2 })).toBe(1);
    // Bulk updates refuse older documents until the batch migration ran.
    await expect(
      repo.updateMany({ city: op.exists(false) }, { $set: { city: 'Paris' } }),
    ).rejects.toMatchObject({
      code: 'migration.pending',
    });
    const report = await migrateToCurrentSchema(repo, { batchSize: 40, writersStopped: true });
    expect(report).toMatchObject({ completed: true, scanned: 150, changed: 150, failed: 0 });
    const docs = await repo.collection.find({}).toArray();
    expect(
      docs.every((d) => d.schemaVersion === 2 && typeof d.firstName === 'string' && !('name' in d)),
    ).toBe(true);
    expect(docs.find((d) => d.firstName === 'Old7')).toMatchObject({ lastName: 'Person' });
    expect(await repo.updateMany({ city: op.exists(false) }, { $set: { city: 'Paris' } })).toMatchObject({
      matchedCount: 151,
    });
    expect(await env().mongo.db.collection('dbkit_backfills').countDocuments({})).toBe(0);
  });

  it('refuses the batch migration where conditional updates are not atomic, unless the writers are stopped', async (ctx) => {
    if (env().caps.atomicUpdates) ctx.skip(`${env().engine} applies conditional updates atomically`);
    const repo = mongoRepository(env().mongo, People('people_refused'));
    await repo.collection.insertMany([{ name: 'Old Person', schemaVersion: 1 }]);
    await expect(migrateToCurrentSchema(repo)).rejects.toMatchObject({ code: 'unsupported.atomicUpdates' });
    expect(await repo.collection.countDocuments({ schemaVersion: 1 })).toBe(1);
    expect(await migrateToCurrentSchema(repo, { writersStopped: true })).toMatchObject({ changed: 1 });
  });

  it('never overwrites a write made to an older document during the batch migration', async (ctx) => {
    if (!env().caps.atomicUpdates) {
      ctx.skip(
        `${env().engine} applies conditional updates as read-then-write: a concurrent write in that window can be overwritten`,
      );
    }
    const repo = mongoRepository(env().mongo, People('people_race'));
    const { insertedIds } = await repo.collection.insertMany(
      Array.from({ length: 400 }, (_, i) => ({ name: `Old${i} Person`, schemaVersion: 1 })),
    );
    const ids = Object.values(insertedIds);
    const cities = new Map<string, string>();
    const state = { stop: false };
    // An older process still writes version-1 documents with the raw driver.
    const writer = (async () => {
      for (let i = 0; !state.stop; i++) {
        const id = ids[(i * 37) % ids.length];
        if (id === undefined) break;
        await repo.collection.updateOne({ _id: id }, { $set: { city: `City${i}` } });
        cities.set(id.toHexString(), `City${i}`);
      }
    })();
    let report = await migrateToCurrentSchema(repo, { batchSize: 20, name: 'race' });
    state.stop = true;
    await writer;
    // Documents written between read and replace were skipped: a second run upgrades them.
    while (report.changed > 0) report = await migrateToCurrentSchema(repo, { batchSize: 20, name: 'race' });
    const docs = await repo.collection.find({}).toArray();
    expect(docs.every((d) => d.schemaVersion === 2)).toBe(true);
    for (const d of docs) {
      const city = cities.get(d._id.toHexString());
      if (city !== undefined) expect(d.city).toBe(city);
    }
    expect(cities.size).toBeGreaterThan(0);
  }, 120_000);

  it('adds a field with a default to every document that lacks it', async () => {
    const col = env().mongo.db.collection('accounts');
    await col.insertMany([{ login: 'a' }, { login: 'b', status: 'banned' }, { login: 'c' }]);
    const report = await backfill(
      { connection: env().mongo, collection: 'accounts' },
      {
        name: 'accounts-status',
        writersStopped: true,
        filter: { status: op.exists(false) },
        transform: () => ({ $set: { status: 'active' } }),
      },
    );
    expect(report).toMatchObject({ completed: true, scanned: 2, changed: 2 });
    const statuses = (await col.find({}).sort({ login: 1 }).toArray()).map((d) => d.status as string);
    expect(statuses).toEqual(['active', 'banned', 'active']);
  });

  it('renames a field: dual write and read both, backfill the new name, then drop the old one', async () => {
    const target = { connection: env().mongo, collection: 'members' };
    const col = env().mongo.db.collection('members');
    await col.insertMany([{ name: 'Ada' }, { name: 'Grace' }]);
    // New code writes both names and reads the new one first.
    await col.insertOne({ name: 'Edsger', fullName: 'Edsger' });
    const read = (d: Document): unknown => d.fullName ?? d.name;
    await backfill(target, {
      name: 'members-fullName',
      writersStopped: true,
      filter: { fullName: op.exists(false) },
      transform: (d) => ({ $set: { fullName: d.name as unknown } }),
    });
    expect(await col.countDocuments({ fullName: { $exists: false } })).toBe(0);
    // Once every reader uses fullName: drop the old field.
    const drop = await backfill(target, {
      name: 'members-drop-name',
      writersStopped: true,
      filter: { name: op.exists(true) },
      transform: () => ({ $unset: { name: '' } }),
    });
    expect(drop.changed).toBe(3);
    const docs = await col.find({}).sort({ fullName: 1 }).toArray();
    expect(docs.map(read)).toEqual(['Ada', 'Edsger', 'Grace']);
    expect(docs.every((d) => !('name' in d))).toBe(true);
  });

  it('a migration file creates an index, then backfills the field it indexes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbkit-mongo-evolution-'));
    try {
      const col = env().mongo.db.collection('customers');
      await col.insertMany(Array.from({ length: 50 }, (_, i) => ({ email: `C${i}@Example.COM` })));
      await writeFile(
        join(dir, '20261202120000_customers_email_lower.mjs'),
        `export async function up(ctx, run) {
  await ctx.db.collection('customers').createIndex({ emailLower: 1 })
  await ctx.backfill({ connection: ctx.connection, collection: 'customers' }, {
    name: run.name,
    signal: run.signal,
    batchSize: 20,
    writersStopped: true,
    transform: (c) => (c.emailLower === undefined ? { $set: { emailLower: c.email.toLowerCase() } } : undefined),
  })
}
`,
      );
      expect(await deployMigrations(env().mongo, { dir })).toMatchObject({
        applied: ['20261202120000_customers_email_lower'],
      });
      const indexes = await col.indexes();
      expect(indexes.some((i) => JSON.stringify(i.key) === JSON.stringify({ emailLower: 1 }))).toBe(true);
      expect(await col.countDocuments({ emailLower: { $exists: false } })).toBe(0);
      expect(await col.findOne({ email: 'C7@Example.COM' })).toMatchObject({ emailLower: 'c7@example.com' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
