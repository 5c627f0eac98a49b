// syncTable on DynamoDB Local: creates a missing table, adds a GSI and TTL to a populated table one step at a time, reports drift without changing it, and gives up at its deadline.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isDbkitError, TimeoutError } from '../../src/core/internal.js';
import { batchPut, createDynamoClient, defineEntity, defineTable } from '../../src/dynamo/index.js';
import type { Table } from '../../src/dynamo/index.js';
import { indexKeysFor } from '../../src/dynamo/index-keys.js';
import { syncTable } from '../../src/dynamo/sync-table.js';
import type { SyncTableOptions } from '../../src/dynamo/sync-table.js';
import { startFaultProxy } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { CURSOR_SECRET } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  describe('syncTable', () => {
    const db = createDynamoClient({ local: endpoint, cursorSecret: CURSOR_SECRET });
    const sync = (table: Table, options?: SyncTableOptions) => syncTable(db, table, options);
    const tables: string[] = [];
    const named = (base: string): string => {
      const name = uniqueName(base);
      tables.push(name);
      return name;
    };
    const describeLive = async (name: string) =>
      (await db.client.send(new DescribeTableCommand({ TableName: name }))).Table;
    const ttlOf = async (name: string) =>
      (await db.client.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
    afterAll(async () => {
      for (const name of tables) await db.deleteTable(name).catch(() => undefined);
      db.destroy();
    });

    it('creates a missing table with its GSIs and TTL, and a dry run before it changes nothing', async () => {
      const table = defineTable({
        name: named('sync_new'),
        partitionKey: 'pk',
        sortKey: 'sk',
        indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
        ttlAttribute: 'expiresAt',
      });
      const plan = await sync(table, { dryRun: true });
      expect(plan).toMatchObject({ table: table.name, dryRun: true, created: true, ttlEnabled: true });
      expect(await describeLive(table.name).catch((err: unknown) => err)).toMatchObject({
        name: 'ResourceNotFoundException',
      });
      const report = await sync(table);
      expect(report).toEqual({
        table: table.name,
        dryRun: false,
        created: true,
        indexesCreated: [],
        indexesAwaited: [],
        ttlEnabled: true,
        unchanged: ['keySchema', 'index:gsi1', 'ttl:expiresAt'],
        drift: [],
      });
      const live = await describeLive(table.name);
      expect(live?.TableStatus).toBe('ACTIVE');
      expect(live?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.IndexStatus])).toEqual([
        ['gsi1', 'ACTIVE'],
      ]);
      expect(await ttlOf(table.name)).toMatchObject({ AttributeName: 'expiresAt' });
    });

    it('adds a GSI and TTL declared later to a populated table, then has nothing to do', async () => {
      const name = named('sync_grow');
      const v1 = defineTable({
        name,
        partitionKey: 'pk',
        sortKey: 'sk',
        indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
      });
      const schema = z.object({ id: z.string(), email: z.string(), team: z.string() });
      const UserV1 = defineEntity(v1, {
        name: 'User',
        schema,
        key: { pk: 'USER#{id}', sk: 'PROFILE' },
        indexes: { gsi1: { pk: 'EMAIL#{email}', sk: 'USER' } },
      });
      expect(await db.ensureTable(v1)).toBe(true);
      const items = Array.from({ length: 300 }, (_, i) => ({
        id: String(i),
        email: `u${i}@example.com`,
        team: `t${i % 3}`,
      }));
      const written = await db.batchWrite(items.map((item) => batchPut(UserV1, item)));
      expect(written.written).toBe(300);

      const v2 = defineTable({
        name,
        partitionKey: 'pk',
        sortKey: 'sk',
        indexes: {
          gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
          gsi2: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
        },
        ttlAttribute: 'expiresAt',
      });
      const dry = await sync(v2, { dryRun: true });
      expect(dry).toEqual({
        table: name,
        dryRun: true,
        created: false,
        indexesCreated: ['gsi2'],
        indexesAwaited: [],
        ttlEnabled: true,
        unchanged: ['keySchema', 'index:gsi1'],
        drift: [],
      });
      // The dry run changed nothing.
      expect((await describeLive(name))?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['gsi1']);
      expect((await ttlOf(name))?.TimeToLiveStatus).toBe('DISABLED');

      const report = await sync(v2);
      expect(report).toEqual({ ...dry, dryRun: false });
      const live = await describeLive(name);
      const gsi2 = live?.GlobalSecondaryIndexes?.find((g) => g.IndexName === 'gsi2');
      expect(gsi2).toMatchObject({ IndexStatus: 'ACTIVE', Projection: { ProjectionType: 'ALL' } });
      expect(gsi2?.Backfilling).not.toBe(true);
      expect(await ttlOf(name)).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });

      const again = await sync(v2);
      expect(again).toEqual({
        table: name,
        dryRun: false,
        created: false,
        indexesCreated: [],
        indexesAwaited: [],
        ttlEnabled: false,
        unchanged: ['keySchema', 'index:gsi1', 'index:gsi2', 'ttl:expiresAt'],
        drift: [],
      });

      // The new index serves items whose index keys are written: new writes now, old items after a backfill.
      const UserV2 = defineEntity(v2, {
        name: 'User',
        schema,
        key: { pk: 'USER#{id}', sk: 'PROFILE' },
        indexes: { gsi1: { pk: 'EMAIL#{email}', sk: 'USER' }, gsi2: { pk: 'TEAM#{team}', sk: 'USER#{id}' } },
      });
      await db.entity(UserV2).put({ id: 'new', email: 'new@example.com', team: 't9' });
      const page = await db.entity(UserV2).query({ index: 'gsi2', partition: { team: 't9' } });
      expect(page.items.map((u) => u.id)).toEqual(['new']);
      expect((await db.entity(UserV2).query({ index: 'gsi2', partition: { team: 't0' } })).items).toEqual([]);
      // What a backfill writes onto the old items: their gsi2 keys, from indexKeysFor.
      for (const item of items) {
        const keys = indexKeysFor(UserV2, item, ['gsi2']);
        await db.document.send(
          new UpdateCommand({
            TableName: name,
            Key: UserV2.key(item),
            UpdateExpression: 'SET gsi2pk = :pk, gsi2sk = :sk',
            ExpressionAttributeValues: { ':pk': keys.gsi2pk, ':sk': keys.gsi2sk },
          }),
        );
      }
      let t0 = 0;
      for await (const p of db.entity(UserV2).queryAll({ index: 'gsi2', partition: { team: 't0' } }))
        t0 += p.items.length;
      expect(t0).toBe(100);
      expect(await db.entity(UserV2).get({ id: '7' })).toMatchObject({ email: 'u7@example.com' });
    });

    it('gives a GSI created on a provisioned table the table throughput, or the one it is told', async () => {
      const name = named('sync_prov');
      await db.ensureTable(defineTable({ name, partitionKey: 'pk' }), {
        billing: { mode: 'provisioned', readUnits: 3, writeUnits: 2 },
      });
      const one = defineTable({ name, partitionKey: 'pk', indexes: { byTeam: { partitionKey: 'team' } } });
      expect((await sync(one)).indexesCreated).toEqual(['byTeam']);
      const two = defineTable({
        name,
        partitionKey: 'pk',
        indexes: { byTeam: { partitionKey: 'team' }, byOrg: { partitionKey: 'org' } },
      });
      expect((await sync(two, { indexThroughput: { readUnits: 7, writeUnits: 4 } })).indexesCreated).toEqual([
        'byOrg',
      ]);
      const throughput = Object.fromEntries(
        ((await describeLive(name))?.GlobalSecondaryIndexes ?? []).map((g) => [
          g.IndexName,
          [g.ProvisionedThroughput?.ReadCapacityUnits, g.ProvisionedThroughput?.WriteCapacityUnits],
        ]),
      );
      expect(throughput).toEqual({ byTeam: [3, 2], byOrg: [7, 4] });
    });

    it('reports a declared GSI whose projection differs from the live one as drift, and changes nothing', async () => {
      const name = named('sync_drift');
      const live = defineTable({
        name,
        partitionKey: 'pk',
        indexes: { byTeam: { partitionKey: 'team', projection: 'KEYS_ONLY' } },
      });
      await db.ensureTable(live);
      const declared = defineTable({
        name,
        partitionKey: 'pk',
        indexes: { byTeam: { partitionKey: 'team', projection: { include: ['email'] } } },
      });
      const report = await sync(declared);
      expect(report.indexesCreated).toEqual([]);
      expect(report.unchanged).toEqual(['keySchema']);
      expect(report.drift).toEqual([
        {
          kind: 'indexProjection',
          name: 'byTeam',
          declared: 'INCLUDE(email)',
          actual: 'KEYS_ONLY',
          reason: expect.stringMatching(/cannot modify a GSI: drop the index and create it again/),
        },
      ]);
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
      const after = await describeLive(name);
      expect(after?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.Projection?.ProjectionType])).toEqual([
        ['byTeam', 'KEYS_ONLY'],
      ]);
    });

    it('gives up at its deadline with a TimeoutError naming the index still being created', async () => {
      const name = named('sync_deadline');
      await db.ensureTable(defineTable({ name, partitionKey: 'pk' }));
      const proxy = await startFaultProxy(endpoint);
      const slow = createDynamoClient({ local: proxy.endpoint, cursorSecret: CURSOR_SECRET });
      try {
        let updated = false;
        // Once the index creation is sent, every DescribeTable hangs: the index never looks ACTIVE.
        proxy.setRule((op) => {
          if (op === 'UpdateTable') updated = true;
          return op === 'DescribeTable' && updated ? { kind: 'hang' } : { kind: 'forward' };
        });
        const declared = defineTable({
          name,
          partitionKey: 'pk',
          indexes: { byTeam: { partitionKey: 'team' } },
        });
        const started = Date.now();
        const err = await syncTable(slow, declared, { timeoutMs: 1_500 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TimeoutError);
        expect(isDbkitError(err, 'migration.tableSync')).toBe(true);
        expect((err as TimeoutError).message).toMatch(/1500 ms deadline: index byTeam still being created/);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(updated).toBe(true);
      } finally {
        slow.destroy();
        await proxy.close();
      }
    });

    it('resends the index creation and TTL after a lost answer and reports them once, as created', async () => {
      const name = named('sync_lost');
      await db.ensureTable(defineTable({ name, partitionKey: 'pk' }));
      const proxy = await startFaultProxy(endpoint);
      const lossy = createDynamoClient({
        local: proxy.endpoint,
        cursorSecret: CURSOR_SECRET,
        retry: { baseDelayMs: 5 },
      });
      try {
        // DynamoDB applies the first UpdateTable and UpdateTimeToLive; their answers never arrive.
        proxy.setRule((op, _body, n) =>
          (op === 'UpdateTable' || op === 'UpdateTimeToLive') && n === 1
            ? { kind: 'applyThenLose' }
            : { kind: 'forward' },
        );
        const declared = defineTable({
          name,
          partitionKey: 'pk',
          indexes: { byTeam: { partitionKey: 'team' } },
          ttlAttribute: 'expiresAt',
        });
        const report = await syncTable(lossy, declared);
        expect(report).toMatchObject({ indexesCreated: ['byTeam'], ttlEnabled: true, drift: [] });
        expect(proxy.applied.get('UpdateTable')).toBe(1);
        // The resend described the table, found the index, and sent no second UpdateTable.
        expect(proxy.calls.get('UpdateTable')).toBe(1);
        expect(proxy.applied.get('UpdateTimeToLive')).toBe(1);
        expect(proxy.calls.get('UpdateTimeToLive')).toBe(2);
        expect((await describeLive(name))?.GlobalSecondaryIndexes?.[0]?.IndexStatus).toBe('ACTIVE');
        expect(await ttlOf(name)).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
      } finally {
        lossy.destroy();
        await proxy.close();
      }
    });

    it('stops when its signal is aborted', async () => {
      const name = named('sync_abort');
      const table = defineTable({ name, partitionKey: 'pk' });
      const controller = new AbortController();
      controller.abort(new Error('deploy cancelled'));
      await expect(sync(table, { signal: controller.signal })).rejects.toMatchObject({
        code: 'timeout.aborted',
      });
      expect(await describeLive(name).catch((err: unknown) => err)).toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });
});

describe('indexKeysFor', () => {
  const table = defineTable({
    name: 'app',
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: { gsi1: { partitionKey: 'gsi1pk' }, gsi2: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' } },
  });
  const User = defineEntity(table, {
    name: 'User',
    schema: z.object({ id: z.string(), email: z.string().optional(), team: z.string() }),
    key: { pk: 'USER#{id}', sk: 'PROFILE' },
    indexes: { gsi1: { pk: 'EMAIL#{email}' }, gsi2: { pk: 'TEAM#{team}', sk: 'USER#{id}' } },
  });

  it('composes the named indexes keys from a stored item, as a write would, leaving sparse ones out', () => {
    const stored = { pk: 'USER#1', sk: 'PROFILE', id: '1', team: 'core' };
    expect(indexKeysFor(User, stored, ['gsi2'])).toEqual({ gsi2pk: 'TEAM#core', gsi2sk: 'USER#1' });
    expect(indexKeysFor(User, stored)).toEqual({ gsi2pk: 'TEAM#core', gsi2sk: 'USER#1' });
    const full = User.toItem({ id: '1', team: 'core', email: 'a@example.com' });
    expect(indexKeysFor(User, full)).toEqual({
      gsi1pk: full.gsi1pk,
      gsi2pk: full.gsi2pk,
      gsi2sk: full.gsi2sk,
    });
  });

  it('refuses an index the entity has no templates for, and a value the key policy refuses', () => {
    expect(() => indexKeysFor(User, { id: '1', team: 'x' }, ['gsi9'])).toThrow(
      /no key templates for index "gsi9"/,
    );
    expect(() => indexKeysFor(User, { id: '1', team: 'a#b' }, ['gsi2'])).toThrow();
  });
});
