// A client from another BSON major (Mongoose's bundled driver beside the application's mongodb) is refused at connect time.
import { ObjectId } from 'mongodb';
import type { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/core/errors.js';
import { assertSameBsonMajor } from '../../src/mongo/bson-version.js';

const BSON_VERSION = Symbol.for('@@mdb.bson.version');
const ours = (new ObjectId() as unknown as Record<symbol, number>)[BSON_VERSION]!;
const clientMaking = (major: number | undefined) =>
  ({
    options: { pkFactory: { createPk: () => (major === undefined ? {} : { [BSON_VERSION]: major }) } },
  }) as unknown as MongoClient;

describe('assertSameBsonMajor', () => {
  it('accepts a client of the same BSON major, or one that does not say', () => {
    expect(() => {
      assertSameBsonMajor(clientMaking(ours));
    }).not.toThrow();
    expect(() => {
      assertSameBsonMajor(clientMaking(undefined));
    }).not.toThrow();
    expect(() => {
      assertSameBsonMajor({ options: {} } as unknown as MongoClient);
    }).not.toThrow();
  });

  it('refuses a client of another BSON major with an UnsupportedError naming both', () => {
    const other = ours + 1;
    const err = (() => {
      try {
        assertSameBsonMajor(clientMaking(other));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(err).toMatchObject({ code: 'unsupported.bsonVersion', feature: 'bsonVersion' });
    expect((err as Error).message).toContain(`BSON ${other}.x`);
    expect((err as Error).message).toContain(`mongodb@${other}`);
  });

  it('reads the version off a real client of this driver', async () => {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient('mongodb://127.0.0.1:1');
    // The check relies on the client's id factory carrying its BSON version.
    const made = (
      client.options as unknown as { pkFactory: { createPk(): Record<symbol, number> } }
    ).pkFactory.createPk();
    expect(made[BSON_VERSION]).toBe(ours);
    expect(() => {
      assertSameBsonMajor(client);
    }).not.toThrow();
  });
});
