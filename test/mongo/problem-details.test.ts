// What an API client sees of real Mongo errors: the right status, and never a collection, database, host or driver text.
import { beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { toProblemDetails } from '../../src/core/internal.js';
import { defineCollection, mongoRepository, ObjectId } from '../../src/mongo/index.js';
import type { MongoRepository } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

// A physical name nobody would put in an API answer on purpose.
const Ledger = defineCollection({
  name: 'ledger_internal_x7q',
  schema: z.object({ email: z.string(), blob: z.string().optional() }),
  indexes: [{ key: { email: 1 }, unique: true }],
});

mongoSuite('problem details of real errors', (env) => {
  let ledger: MongoRepository<typeof Ledger>;

  beforeAll(async () => {
    ledger = mongoRepository(env().mongo, Ledger);
    await ledger.syncIndexes();
    await ledger.create({ email: 'taken@example.com' });
  });

  it('leaks no collection, database, host or driver text in client-facing errors', async () => {
    const { mongo, url } = env();
    const host = new URL(url).host;
    // FerretDB refuses versioned writes (501) before it looks at the collection (400).
    const failures: [string, () => Promise<unknown>, number[]][] = [
      ['duplicate key', () => ledger.create({ email: 'taken@example.com' }), [409]],
      ['missing document', () => ledger.update(new ObjectId(), { $set: { email: 'x@example.com' } }), [404]],
      ['missing delete', () => ledger.delete(new ObjectId()), [404]],
      [
        'too large',
        () => ledger.create({ email: 'big@example.com', blob: 'x'.repeat(17 * 1024 * 1024) }),
        [413],
      ],
      [
        'not versioned',
        () => ledger.update(new ObjectId(), { $set: { email: 'y' } }, { expectedVersion: 1 }),
        [400, 501],
      ],
    ];
    for (const [label, call, status] of failures) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      const problem = toProblemDetails(err);
      expect(status, label).toContain(problem.status);
      const text = JSON.stringify(problem);
      expect(text, label).not.toContain(Ledger.name);
      expect(text, label).not.toContain(mongo.db.databaseName);
      expect(text, label).not.toContain(host);
      expect(text, label).not.toMatch(/E11000|MongoServerError|dup key/);
    }
  });
});
