// Smoke test: a document round-trips through the official mongodb driver on every MongoDB target:
// FerretDB, mongo-java-server, and a real MongoDB when MONGODB_URI is set.
import { MongoClient, ObjectId } from 'mongodb';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MONGO_ENGINES, describeEngine, uniqueName } from '../helpers/engines.js';

interface Person {
  _id: ObjectId;
  name: string;
  born: number;
  tags: string[];
  address: { city: string };
  createdAt: Date;
}

for (const target of MONGO_ENGINES) {
  describeEngine(target, (url) => {
    const dbName = uniqueName(`smoke_${target}`);
    let client: MongoClient;
    let db: Db;

    beforeAll(async () => {
      client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
      await client.connect();
      db = client.db(dbName);
    });

    afterAll(async () => {
      await db.dropDatabase();
      await client.close();
    });

    it('round-trips a document through the official driver', async () => {
      const people = db.collection<Person>('people');
      const doc: Person = {
        _id: new ObjectId(),
        name: 'Grace Hopper',
        born: 1906,
        tags: ['cobol', 'navy'],
        address: { city: 'Arlington' },
        createdAt: new Date('2024-01-02T03:04:05.678Z'),
      };
      const inserted = await people.insertOne(doc);
      expect(inserted.insertedId).toEqual(doc._id);

      expect(await people.findOne({ _id: doc._id })).toEqual(doc);

      const updated = await people.updateOne({ _id: doc._id }, { $set: { 'address.city': 'New York' } });
      expect(updated.modifiedCount).toBe(1);
      expect((await people.findOne({ name: 'Grace Hopper' }))?.address.city).toBe('New York');

      expect((await people.deleteOne({ _id: doc._id })).deletedCount).toBe(1);
      expect(await people.findOne({ _id: doc._id })).toBeNull();
    });
  });
}
