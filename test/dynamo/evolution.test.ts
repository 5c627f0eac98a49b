// The schema evolution recipes on DynamoDB Local: add an attribute with a default, rename one, add a GSI to a live table, change an entity's key template.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { backfill, defineEntity, defineTable, syncTable } from '../../src/dynamo/index.js';
import type { AnyEntity } from '../../src/dynamo/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { testClient } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  const name = uniqueName('dbkit_evolution');
  const app = defineTable({
    name,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
  });
  const db = testClient(endpoint);

  const rawItems = async (entity: AnyEntity): Promise<Record<string, unknown>[]> => {
    const out: Record<string, unknown>[] = [];
    for await (const page of db.scanAll(app, { allowScan: true }))
      out.push(...page.items.filter((i) => i._entity === entity.name));
    return out;
  };

  beforeAll(async () => {
    await db.ensureTable(app);
  });
  afterAll(async () => {
    await db.deleteTable(name);
    db.destroy();
  });

  it('a. adds an attribute with a default: old items read with it at once, then a backfill stores it', async () => {
    const AccountV1 = defineEntity(app, {
      name: 'Account',
      schema: z.object({ id: z.string(), owner: z.string() }),
      key: { pk: 'ACCOUNT#{id}', sk: 'ACCOUNT' },
      version: true,
    });
    for (let i = 0; i < 40; i++) await db.entity(AccountV1).put({ id: `a${i}`, owner: `o${i}` });
    // v2: the schema's default is the read path's default, so deployed code sees `plan` before any backfill.
    const Account = defineEntity(app, {
      name: 'Account',
      schema: z.object({ id: z.string(), owner: z.string(), plan: z.enum(['free', 'pro']).default('free') }),
      key: { pk: 'ACCOUNT#{id}', sk: 'ACCOUNT' },
      version: true,
    });
    expect(await db.entity(Account).get({ id: 'a1' })).toMatchObject({ plan: 'free', version: 1 });
    await db.entity(Account).put({ id: 'a2', owner: 'o2', plan: 'pro' }, { expectedVersion: 1 });

    const report = await backfill(db, {
      name: 'account-plan',
      source: Account,
      transform: (item) => (item.plan === undefined ? { set: { plan: 'free' } } : undefined),
    });
    expect(report).toMatchObject({ completed: true, changed: 39, failed: 0 });
    const raw = await rawItems(Account);
    expect(raw.filter((i) => i.plan === undefined)).toEqual([]);
    expect(raw.find((i) => i.sk === 'ACCOUNT' && i.id === 'a2')?.plan).toBe('pro');
    // A versioned entity's backfill writes are conditioned on, and increment, `version`.
    expect(raw.find((i) => i.id === 'a1')?.version).toBe(2);
  });

  it('b. renames an attribute: read both and dual write, backfill, then drop the old name', async () => {
    const ContactV1 = defineEntity(app, {
      name: 'Contact',
      schema: z.object({ id: z.string(), fullName: z.string() }),
      key: { pk: 'CONTACT#{id}', sk: 'CONTACT' },
    });
    for (let i = 0; i < 30; i++) await db.entity(ContactV1).put({ id: `c${i}`, fullName: `Name ${i}` });
    // Transition: the new name, read from the old one where missing; puts write both names.
    const ContactT = defineEntity(app, {
      name: 'Contact',
      schema: z.object({ id: z.string(), displayName: z.string() }),
      key: { pk: 'CONTACT#{id}', sk: 'CONTACT' },
      renamedFrom: { displayName: 'fullName' },
    });
    expect(await db.entity(ContactT).get({ id: 'c3' })).toEqual({ id: 'c3', displayName: 'Name 3' });
    await db.entity(ContactT).put({ id: 'c4', displayName: 'Renamed 4' });
    expect(await db.entity(ContactV1).get({ id: 'c4' })).toEqual({ id: 'c4', fullName: 'Renamed 4' });
    // An update of the new name writes the old one too, so code still deployed reads it.
    await db.entity(ContactT).update({ id: 'c5' }, { set: { displayName: 'Updated 5' } });
    expect(await db.entity(ContactV1).get({ id: 'c5' })).toEqual({ id: 'c5', fullName: 'Updated 5' });
    expect(await db.entity(ContactT).get({ id: 'c5' })).toEqual({ id: 'c5', displayName: 'Updated 5' });

    const moved = await backfill(db, {
      name: 'contact-display-name',
      source: ContactT,
      reads: ['fullName'],
      transform: (item) =>
        item.displayName === undefined ? { set: { displayName: item.fullName } } : undefined,
    });
    expect(moved).toMatchObject({ completed: true, changed: 28 });
    // Once every instance runs the final code (no renamedFrom), drop the old attribute.
    const Contact = defineEntity(app, {
      name: 'Contact',
      schema: z.object({ id: z.string(), displayName: z.string() }),
      key: { pk: 'CONTACT#{id}', sk: 'CONTACT' },
    });
    const dropped = await backfill(db, {
      name: 'contact-drop-full-name',
      source: Contact,
      transform: (item) => (item.fullName === undefined ? undefined : { remove: ['fullName'] }),
    });
    expect(dropped).toMatchObject({ completed: true, changed: 30 });
    const raw = await rawItems(Contact);
    expect(raw).toHaveLength(30);
    expect(raw.filter((i) => i.fullName !== undefined || typeof i.displayName !== 'string')).toEqual([]);
    expect(await db.entity(Contact).get({ id: 'c7' })).toEqual({ id: 'c7', displayName: 'Name 7' });
  });

  it('c. adds a GSI to a live table: syncTable creates it, a backfill writes its keys, every item is queryable', async () => {
    const OrderV1 = defineEntity(app, {
      name: 'Order',
      schema: z.object({ id: z.string(), customer: z.string(), total: z.number() }),
      key: { pk: 'ORDER#{id}', sk: 'ORDER' },
    });
    for (let i = 0; i < 60; i++)
      await db.entity(OrderV1).put({ id: `o${String(i).padStart(2, '0')}`, customer: `k${i % 3}`, total: i });
    // The same table, now declaring gsi2, and the entity's templates for it.
    const appV2 = defineTable({
      name,
      partitionKey: 'pk',
      sortKey: 'sk',
      indexes: {
        gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
        gsi2: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
      },
    });
    const Order = defineEntity(appV2, {
      name: 'Order',
      schema: z.object({ id: z.string(), customer: z.string(), total: z.number() }),
      key: { pk: 'ORDER#{id}', sk: 'ORDER' },
      indexes: { gsi2: { pk: 'CUSTOMER#{customer}', sk: 'ORDER#{id}' } },
    });
    const sync = await syncTable(db, appV2);
    expect(sync.indexesCreated).toEqual(['gsi2']);
    expect((await db.entity(Order).query({ index: 'gsi2', partition: { customer: 'k0' } })).items).toEqual(
      [],
    );

    const report = await backfill(db, {
      name: 'orders-gsi2',
      source: Order,
      reads: ['customer', 'id'],
      transform: (item) => (item.gsi2pk === undefined ? { set: Order.indexKeys(item) } : undefined),
    });
    expect(report).toMatchObject({ completed: true, changed: 60, failed: 0 });
    let found = 0;
    for (const customer of ['k0', 'k1', 'k2']) {
      const page = await db.entity(Order).query({ index: 'gsi2', partition: { customer }, limit: 100 });
      expect(page.items.every((o) => o.customer === customer)).toBe(true);
      found += page.items.length;
    }
    expect(found).toBe(60);
  }, 120_000);

  it("d. changes an entity's key template: copy to the new keys, verify, then delete the old; a re-run after a crash is safe", async () => {
    const schema = z.object({ id: z.string(), owner: z.string(), body: z.string() });
    const NoteV1 = defineEntity(app, { name: 'Note', schema, key: { pk: 'NOTE#{id}', sk: 'NOTE' } });
    const Note = defineEntity(app, { name: 'Note', schema, key: { pk: 'OWNER#{owner}', sk: 'NOTE#{id}' } });
    for (let i = 0; i < 80; i++)
      await db.entity(NoteV1).put({ id: `n${i}`, owner: `u${i % 4}`, body: `b${i}` });
    const isOld = (item: Record<string, unknown>): boolean => String(item.pk).startsWith('NOTE#');

    const copy = (signal?: AbortSignal) =>
      backfill(db, {
        name: 'notes-rekey-copy',
        source: Note,
        batchSize: 10,
        segments: 2,
        leaseMs: 300,
        signal,
        // `copy` is a put on condition that the new key is free: a copy done before a crash is skipped.
        transform: (item) => (isOld(item) ? { copy: Note.toItem(NoteV1.parse(item)) } : undefined),
      });
    // A run stopped halfway (as a crash would), then the re-run.
    const stop = new AbortController();
    const first = await backfill(db, {
      name: 'notes-rekey-copy',
      source: Note,
      batchSize: 10,
      segments: 2,
      leaseMs: 300,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.changed >= 20) stop.abort();
      },
      progressEveryMs: 0,
      transform: (item) => (isOld(item) ? { copy: Note.toItem(NoteV1.parse(item)) } : undefined),
    });
    expect(first.completed).toBe(false);
    // A stopped run keeps its checkpoint and its lease, as a crashed one would: the re-run waits it out.
    await new Promise((r) => setTimeout(r, 400));
    const second = await copy();
    expect(second).toMatchObject({ completed: true, resumed: true, failed: 0 });

    // Verify before deleting anything: every old item has its copy.
    const raw = await rawItems(Note);
    const old = raw.filter(isOld);
    const copies = raw.filter((i) => !isOld(i));
    expect(old).toHaveLength(80);
    expect(copies).toHaveLength(80);
    expect(new Set(copies.map((c) => c.id))).toEqual(new Set(old.map((o) => o.id)));

    const removed = await backfill(db, {
      name: 'notes-rekey-delete',
      source: Note,
      reads: ['body', 'owner'],
      transform: (item) => (isOld(item) ? { delete: true } : undefined),
    });
    expect(removed).toMatchObject({ completed: true, changed: 80 });
    const after = await rawItems(Note);
    expect(after).toHaveLength(80);
    expect(after.filter(isOld)).toEqual([]);
    const page = await db.entity(Note).query({ partition: { owner: 'u1' }, limit: 100 });
    expect(page.items).toHaveLength(20);
  });
});
