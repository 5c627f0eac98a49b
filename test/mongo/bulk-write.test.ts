// bulkWrite on real engines: batches, a per-operation report, and nothing failed counted as written.
import { beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, ValidationError } from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { defineCollection, mongoRepository, ObjectId } from '../../src/mongo/index.js';
import type { MongoRepository } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

const Products = defineCollection({
  name: 'products',
  schema: z.object({ sku: z.string().min(1), name: z.string(), stock: z.number().int().nonnegative() }),
  indexes: [{ key: { sku: 1 }, unique: true }],
});

mongoSuite('bulkWrite', (env) => {
  let repo: MongoRepository<typeof Products>;
  beforeAll(async () => {
    repo = mongoRepository(env().mongo, Products);
    await repo.syncIndexes();
  });

  it('writes in batches of 500 and reports every inserted id', async () => {
    const events: OperationEvent[] = [];
    const stop = env().mongo.instrumentation.subscribe((e) => events.push(e));
    const ops = Array.from({ length: 1200 }, (_, i) => ({
      insertOne: { document: { sku: `b-${i}`, name: `Bulk ${i}`, stock: i } },
    }));
    const report = await repo.bulkWrite(ops);
    stop();
    expect(report).toMatchObject({ ok: true, insertedCount: 1200, batches: 3, failed: [], unknown: [] });
    expect(Object.keys(report.insertedIds)).toHaveLength(1200);
    expect(events.filter((e) => e.type === 'succeeded' && e.operation === 'bulkWrite')).toHaveLength(3);
    expect(await repo.estimatedCount()).toBe(1200);
  });

  it('reports each failed operation with its reason and counts only real writes', async () => {
    await repo.create({ sku: 'dup-1', name: 'Existing', stock: 1 });
    const report = await repo.bulkWrite(
      [
        { insertOne: { document: { sku: 'new-1', name: 'New', stock: 1 } } },
        { insertOne: { document: { sku: 'dup-1', name: 'Duplicate', stock: 1 } } },
        { insertOne: { document: { sku: '', name: 'Invalid', stock: -1 } } },
        { insertOne: { document: { sku: 'new-2', name: 'New', stock: 2 } } },
        { insertOne: { document: { sku: 'new-2', name: 'Duplicate in the same batch', stock: 2 } } },
        { updateOne: { filter: { sku: 'dup-1' }, update: { $inc: { stock: 5 } } } },
        { deleteOne: { filter: { sku: 'nothing-here' } } },
        { deleteMany: { filter: {} } },
      ],
      { batchSize: 3 },
    );
    expect(report.ok).toBe(false);
    expect(report.failed.map((f) => f.index)).toEqual([1, 2, 4, 7]);
    const [dup, invalid, dupInBatch, emptyDelete] = report.failed;
    expect(dup?.error).toBeInstanceOf(ConflictError);
    expect((dup?.error as ConflictError).fields).toEqual(['sku']);
    expect(invalid?.error).toBeInstanceOf(ValidationError);
    expect(dupInBatch?.error).toBeInstanceOf(ConflictError);
    expect(emptyDelete?.error).toMatchObject({ code: 'delete.emptyFilter' });
    expect(report.insertedCount).toBe(2);
    expect(Object.keys(report.insertedIds).map(Number)).toEqual([0, 3]);
    expect(report.modifiedCount).toBe(1);
    expect(report.deletedCount).toBe(0);
    expect(await repo.count({ sku: 'new-2' })).toBe(1);
    expect((await repo.findOne({ sku: 'dup-1' }))?.stock).toBe(6);
  });

  it('guards the filters of bulk operations', async () => {
    const report = await repo.bulkWrite([
      { updateMany: { filter: { sku: { $ne: null } }, update: { $set: { stock: 0 } } } },
      { deleteOne: { filter: { _id: new ObjectId().toHexString() } } },
    ]);
    expect(report.failed.map((f) => [f.index, f.error.code])).toEqual([[0, 'injection.operator']]);
    expect(await repo.count({ stock: 0 })).toBe(1);
  });
});
