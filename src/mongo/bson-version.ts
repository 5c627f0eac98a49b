// A client from another major version of the driver (Mongoose bundles its own) cannot take dbkit's BSON values: refuse it at connect time, clearly.
import { ObjectId } from 'mongodb';
import type { MongoClient } from 'mongodb';
import { UnsupportedError } from '../core/errors.js';

const BSON_VERSION = Symbol.for('@@mdb.bson.version');

/** The BSON major version of a value made by some copy of the driver, if it carries one. */
function bsonMajor(value: unknown): number | undefined {
  const major = (value as { [BSON_VERSION]?: unknown } | undefined)?.[BSON_VERSION];
  return typeof major === 'number' ? major : undefined;
}

/**
 * Throws `UnsupportedError` (`unsupported.bsonVersion`) when `client` comes from a copy of the
 * driver whose BSON major version differs from the `mongodb` package dbkit loaded: such a client
 * refuses every ObjectId, Date wrapper or Decimal128 dbkit builds (the driver's BSONVersionError).
 * The client's own id factory tells its version.
 *
 * @example
 * ```ts
 * assertSameBsonMajor(mongoose.connection.getClient()) // throws if the app has mongodb@6 beside Mongoose 9
 * ```
 */
export function assertSameBsonMajor(client: MongoClient): void {
  const factory = (client.options as { pkFactory?: { createPk?: () => unknown } } | undefined)?.pkFactory;
  const theirs = bsonMajor(factory?.createPk?.());
  const ours = bsonMajor(new ObjectId());
  if (theirs === undefined || ours === undefined || theirs === ours) return;
  throw new UnsupportedError(
    `This MongoClient comes from a mongodb driver with BSON ${theirs}.x (Mongoose bundles its own driver), but dbkit/mongo loaded mongodb with BSON ${ours}.x: their values cannot be mixed. Install the mongodb major version that client uses (mongodb@${theirs}) so both share one BSON.`,
    { feature: 'bsonVersion', code: 'unsupported.bsonVersion', engine: 'mongodb' },
  );
}
