// The generated MongoDB roles, proved against every command the repository operations send (command monitoring on real engines).
import type { CommandStartedEvent, Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectMongo, defineCollection, mongoRepository, op } from '../../src/mongo/index.js';
import type { MongoConnection } from '../../src/mongo/index.js';
import {
  applicationRole,
  atlasCustomRole,
  CAPABILITY_PROBE_COLLECTION,
  collectionAccess,
  COMMAND_ACTIONS,
  createUserCommand,
  migrationRole,
} from '../../src/mongo/roles.js';
import type { CreateRoleCommand, CollectionOperation } from '../../src/mongo/roles.js';
import { describeEngine, MONGO_ENGINES, uniqueName } from '../helpers/engines.js';

const Users = defineCollection({
  name: 'users',
  schema: z.object({ email: z.string(), name: z.string() }),
  indexes: [{ key: { email: 1 }, unique: true }],
  version: true,
  timestamps: true,
  mapId: true,
});
const Posts = defineCollection({
  name: 'posts',
  schema: z.object({ authorId: z.string(), title: z.string(), likes: z.number().int() }),
  indexes: [{ key: { authorId: 1 } }],
});

const EVERY_OPERATION: CollectionOperation[] = [
  'create',
  'findById',
  'findOne',
  'findMany',
  'exists',
  'count',
  'estimatedCount',
  'paginate',
  'update',
  'updateMany',
  'delete',
  'deleteMany',
  'bulkWrite',
  'aggregate',
  'explain',
];
const POST_OPERATIONS: CollectionOperation[] = ['create', 'findMany', 'bulkWrite', 'aggregate', 'deleteMany'];

/** Every (collection, action) a role grants. */
function granted(role: CreateRoleCommand): Set<string> {
  return new Set(role.privileges.flatMap((p) => p.actions.map((a) => `${p.resource.collection} ${a}`)));
}

/** The command IAM-like checks apply to: the explained one for `explain`, else the command itself. */
function effective(event: CommandStartedEvent): { name: string; command: Document } {
  const command = event.command;
  if (event.commandName !== 'explain') return { name: event.commandName, command };
  const inner = command.explain as Document;
  return { name: Object.keys(inner)[0] ?? '', command: inner };
}

/** The collection a command acts on: its first field's value (getMore names it separately). */
function collectionOf(name: string, command: Document): string | undefined {
  const value: unknown = name === 'getMore' ? command.collection : command[name];
  return typeof value === 'string' ? value : undefined;
}

/** The (collection, action) pairs the recorded commands need, and the command names the table does not know. */
function required(events: readonly CommandStartedEvent[]): { pairs: Set<string>; unknown: string[] } {
  const pairs = new Set<string>();
  const unknown: string[] = [];
  for (const e of events) {
    const { name, command } = effective(e);
    const actions = COMMAND_ACTIONS[name];
    if (actions === undefined) {
      unknown.push(name);
      continue;
    }
    const collection = collectionOf(name, command);
    for (const a of actions) pairs.add(`${collection ?? '(database)'} ${a}`);
  }
  return { pairs, unknown };
}

async function attempt(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch {
    // A feature the engine lacks (explain, optimistic locking on FerretDB v1) still sent its commands.
  }
}

describe('role builders', () => {
  const role = applicationRole({
    db: 'blog',
    access: [collectionAccess(Users, EVERY_OPERATION), collectionAccess(Posts, POST_OPERATIONS)],
  });

  it('grant find, insert, update and remove on exactly the declared collections, and nothing database-wide', () => {
    expect(role.createRole).toBe('dbkitApp');
    expect(role.roles).toEqual([]);
    expect(role.privileges).toEqual([
      { resource: { db: 'blog', collection: CAPABILITY_PROBE_COLLECTION }, actions: ['find'] },
      { resource: { db: 'blog', collection: 'posts' }, actions: ['find', 'insert', 'remove', 'update'] },
      { resource: { db: 'blog', collection: 'users' }, actions: ['find', 'insert', 'remove', 'update'] },
    ]);
  });

  it('grant only what the declared operations need', () => {
    const readOnly = applicationRole({
      db: 'blog',
      access: [collectionAccess(Posts, ['findMany', 'paginate'])],
      capabilityProbe: false,
    });
    expect(readOnly.privileges).toEqual([
      { resource: { db: 'blog', collection: 'posts' }, actions: ['find'] },
    ]);
    // An unversioned delete never reads back.
    expect(
      applicationRole({ db: 'b', access: [collectionAccess(Posts, ['delete'])], capabilityProbe: false })
        .privileges[0]?.actions,
    ).toEqual(['remove']);
  });

  it('give the migration role index and collection management but never dropCollection', () => {
    const migration = migrationRole({ db: 'blog', collections: [Users, Posts] });
    expect(migration.privileges.find((p) => p.resource.collection === 'users')?.actions).toEqual(
      [
        'collMod',
        'createCollection',
        'createIndex',
        'dropIndex',
        'find',
        'insert',
        'listIndexes',
        'remove',
        'update',
      ].sort(),
    );
    expect([...granted(migration)].some((g) => g.endsWith(' dropCollection'))).toBe(false);
    // The journal and checkpoints `dbkit migrate` and backfills write, and nothing more on them.
    const journal = migration.privileges.find((p) => p.resource.collection === 'dbkit_migrations');
    expect(journal?.actions).toEqual(
      ['createCollection', 'createIndex', 'find', 'insert', 'listIndexes', 'remove', 'update'].sort(),
    );
    expect(migration.privileges.some((p) => p.resource.collection === 'dbkit_backfills')).toBe(true);
    expect(
      migrationRole({ db: 'blog', collections: [Users], systemCollections: [] }).privileges.map(
        (p) => p.resource.collection,
      ),
    ).toEqual(['users']);
  });

  it('spell the role for Atlas and create a SCRAM-SHA-256 user with it', () => {
    const atlas = atlasCustomRole(migrationRole({ db: 'blog', collections: [Posts] }));
    expect(atlas.actions.map((a) => a.action)).toEqual([
      'COLL_MOD',
      'CREATE_COLLECTION',
      'CREATE_INDEX',
      'DROP_INDEX',
      'FIND',
      'INSERT',
      'LIST_INDEXES',
      'REMOVE',
      'UPDATE',
    ]);
    expect(atlas.actions[0]?.resources).toEqual([{ db: 'blog', collection: 'posts' }]);
    expect(createUserCommand('blog-api', 's3cret', role, 'blog')).toEqual({
      createUser: 'blog-api',
      pwd: 's3cret',
      roles: [{ role: 'dbkitApp', db: 'blog' }],
      mechanisms: ['SCRAM-SHA-256'],
    });
  });
});

for (const engine of MONGO_ENGINES) {
  describeEngine(engine, (uri) => {
    describe('roles proved by the commands repositories send', () => {
      const dbName = uniqueName('roles');
      let mongo: MongoConnection;
      const events: CommandStartedEvent[] = [];
      let recording = false;

      beforeAll(async () => {
        mongo = await connectMongo({
          uri,
          dbName,
          shared: false,
          cursorSecret: 'dbkit-test-cursor-secret-0123456789',
          client: { monitorCommands: true },
        });
        mongo.client.on('commandStarted', (e) => {
          if (recording) events.push(e);
        });
      });
      afterAll(async () => {
        await mongo.db.dropDatabase().catch(() => undefined);
        await mongo.close();
      });

      it('the application role grants every action the repository operations need, and none they do not', async () => {
        const users = mongoRepository(mongo, Users);
        const posts = mongoRepository(mongo, Posts);
        await users.syncIndexes();
        recording = true;
        const ada = await users.create({ email: 'ada@example.com', name: 'Ada' });
        const bob = await users.create({ email: 'bob@example.com', name: 'Bob' });
        await users.findById(ada.id);
        await users.findOne({ email: 'ada@example.com' });
        await users.findMany({ name: op.in(['Ada', 'Bob']) });
        await users.exists({ email: 'bob@example.com' });
        await users.count({});
        await users.estimatedCount();
        const first = await users.paginate({}, { limit: 1 });
        await users.paginate({}, { limit: 1, cursor: first.cursor });
        await users.update(ada.id, { $set: { name: 'Ada L.' } });
        await users.update(ada.id, { $set: { name: 'Ada Lovelace' } }, { returnDocument: false });
        await attempt(() => users.update(bob.id, { $set: { name: 'Robert' } }, { expectedVersion: 1 }));
        await users.updateMany({ name: 'Robert' }, { $set: { name: 'Bob' } });
        await attempt(() => users.delete(bob.id, { expectedVersion: 99 }));
        await users.delete(bob.id);
        await users.deleteMany({ email: 'nobody@example.com' });
        await users.bulkWrite([
          { insertOne: { document: { email: 'eve@example.com', name: 'Eve' } } },
          { updateOne: { filter: { email: 'eve@example.com' }, update: { $set: { name: 'Eve E.' } } } },
          { deleteOne: { filter: { email: 'eve@example.com' } } },
        ]);
        await users.aggregate([{ $match: { name: 'Ada Lovelace' } }]);
        await attempt(() => users.explain({ email: 'ada@example.com' }));
        await posts.create({ authorId: ada.id, title: 'Hello', likes: 0 });
        await posts.findMany({ authorId: ada.id });
        await posts.bulkWrite([
          { insertOne: { document: { authorId: ada.id, title: 'Again', likes: 1 } } },
          { updateOne: { filter: { title: 'Again' }, update: { $inc: { likes: 1 } } } },
        ]);
        await posts.aggregate([
          { $match: { authorId: ada.id } },
          { $group: { _id: '$authorId', n: { $sum: 1 } } },
        ]);
        await posts.deleteMany({ authorId: ada.id });
        recording = false;

        const need = required(events);
        expect(need.unknown).toEqual([]);
        const role = applicationRole({
          db: dbName,
          access: [collectionAccess(Users, EVERY_OPERATION), collectionAccess(Posts, POST_OPERATIONS)],
        });
        const grants = granted(role);
        expect([...need.pairs].filter((p) => !grants.has(p))).toEqual([]);
        // Nothing granted goes unused (the probe is read only when detection runs, which the versioned update triggers).
        expect([...grants].filter((g) => !need.pairs.has(g))).toEqual([]);
        expect(
          events.every((e) => e.databaseName === dbName || COMMAND_ACTIONS[e.commandName]?.length === 0),
        ).toBe(true);
      });

      it('the migration role covers creating collections and syncing indexes', async () => {
        events.length = 0;
        recording = true;
        await mongo.db.createCollection('audit');
        const audit = defineCollection({
          name: 'audit',
          schema: z.object({ at: z.string() }),
          indexes: [{ key: { at: 1 } }],
        });
        await mongoRepository(mongo, audit)
          .syncIndexes()
          .catch(() => undefined);
        await attempt(() => mongo.db.command({ collMod: 'audit', validationLevel: 'moderate' }));
        recording = false;
        const need = required(events);
        expect(need.unknown).toEqual([]);
        expect([...need.pairs]).toEqual(
          expect.arrayContaining(['audit createCollection', 'audit listIndexes', 'audit createIndex']),
        );
        const grants = granted(migrationRole({ db: dbName, collections: [audit] }));
        expect([...need.pairs].filter((p) => !grants.has(p))).toEqual([]);
      });
    });
  });
}
