// Detects what a MongoDB-compatible deployment supports: topology, transactions, $lookup, index kinds, explain.
import type { Db, Document } from 'mongodb';
import type { Capabilities } from '../core/capabilities.js';

/**
 * The server behind a connection string, as far as dbkit can tell.
 *
 * @example
 * ```ts
 * const flavor: MongoFlavor = (await mongo.capabilities()).flavor // 'mongodb' | 'ferretdb' | ...
 * ```
 */
export type MongoFlavor = 'mongodb' | 'ferretdb' | 'mongo-java-server' | 'unknown';

/**
 * What one deployment supports, detected at runtime; the core flags plus MongoDB specifics.
 *
 * @example
 * ```ts
 * const caps: MongoCapabilities = await mongo.capabilities()
 * if (!caps.transactions) console.log(`no transactions on this ${caps.topology}`)
 * ```
 */
export interface MongoCapabilities extends Capabilities {
  flavor: MongoFlavor;
  /** The version the server reports (FerretDB reports the MongoDB version it emulates). */
  version: string;
  topology: 'standalone' | 'replicaSet' | 'sharded';
  /**
   * `full`: winning plan and examined counts; `plan`: a plan without counts (FerretDB's SQLite
   * plan); `none`: the server has no explain command.
   */
  explain: 'full' | 'plan' | 'none';
}

async function attempt<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Asks the server what it is and probes the features that differ between MongoDB, FerretDB and
 * mongo-java-server. Reads only: nothing is created.
 *
 * @example
 * ```ts
 * const caps = await detectCapabilities(client.db('app'))
 * if (!caps.transactions) console.log(`no transactions on this ${caps.topology} ${caps.flavor}`)
 * ```
 */
export async function detectCapabilities(db: Db): Promise<MongoCapabilities> {
  const admin = db.admin();
  const hello = await attempt(() => admin.command({ hello: 1 }));
  const handshake: Document = hello.ok ? hello.value : await admin.command({ isMaster: 1 });
  const build = await attempt(() => admin.command({ buildInfo: 1 }));
  const info: Document = build.ok ? build.value : {};
  const version = typeof info.version === 'string' ? info.version : 'unknown';
  let flavor: MongoFlavor = 'unknown';
  if (typeof info.ferretdbVersion === 'string') flavor = 'ferretdb';
  else if (!hello.ok && info.gitVersion === undefined) flavor = 'mongo-java-server';
  else if (typeof info.gitVersion === 'string') flavor = 'mongodb';

  const topology: MongoCapabilities['topology'] =
    handshake.msg === 'isdbgrid'
      ? 'sharded'
      : typeof handshake.setName === 'string'
        ? 'replicaSet'
        : 'standalone';
  const probe = db.collection('__dbkit_capability_probe');
  const lookup = await attempt(() =>
    probe
      .aggregate([{ $lookup: { from: probe.collectionName, localField: 'a', foreignField: 'a', as: 'b' } }])
      .toArray(),
  );
  const text = await attempt(() =>
    probe
      .find({ $text: { $search: 'probe' } })
      .limit(1)
      .toArray(),
  );
  // MongoDB without a text index answers IndexNotFound (27): the operator exists. FerretDB answers a
  // $text query on a missing collection with no error, so its flavour decides.
  const textSupported =
    flavor === 'mongodb' || (flavor === 'unknown' && (text.ok || codeOf(text.error) === 27));
  const explained = await attempt(() => probe.find({ a: 1 }).explain('executionStats'));
  let explain: MongoCapabilities['explain'] = 'none';
  if (explained.ok) explain = explained.value.executionStats === undefined ? 'plan' : 'full';

  const sessions =
    handshake.logicalSessionTimeoutMinutes !== undefined && handshake.logicalSessionTimeoutMinutes !== null;
  return {
    flavor,
    version,
    topology,
    explain,
    transactions: flavor !== 'ferretdb' && topology !== 'standalone' && sessions,
    joins: lookup.ok,
    textIndexes: textSupported,
    ttl: flavor !== 'ferretdb',
    atomicUpdates: !(flavor === 'ferretdb' && /^v?1\./.test(String(info.ferretdbVersion))),
    partialIndexes: flavor !== 'ferretdb',
  };
}
