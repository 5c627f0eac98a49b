// backfill on DynamoDB Local: resumes after SIGKILL applying each item once, loses no concurrent update, dry-runs, and rides out throttling.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { backfill, createDynamoClient, defineEntity, defineTable } from '../../src/dynamo/index.js';
import type { DynamoClient } from '../../src/dynamo/index.js';
import { startFaultProxy, throttleShare } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { testClient } from './model.js';

const N = Number(process.env.DBKIT_BACKFILL_ITEMS ?? 5_000);
const child = fileURLToPath(new URL('./fixtures/backfill-child.ts', import.meta.url));

type Item = Record<string, unknown>;

async function populate(
  db: DynamoClient,
  table: string,
  prefix: string,
  n: number,
  extra: (i: number) => Item = () => ({}),
) {
  const batches: Item[][] = [];
  for (let i = 0; i < n; i += 25)
    batches.push(
      Array.from({ length: Math.min(25, n - i) }, (_, j) => ({
        pk: `${prefix}#${i + j}`,
        sk: 'A',
        _entity: 'Thing',
        n: i + j,
        ...extra(i + j),
      })),
    );
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] ?? [];
        let request: Record<string, { PutRequest: { Item: Item } }[]> = {
          [table]: batch.map((Item) => ({ PutRequest: { Item } })),
        };
        while (Object.keys(request).length > 0) {
          const out = await db.document.send(new BatchWriteCommand({ RequestItems: request }));
          request = (out.UnprocessedItems ?? {}) as typeof request;
        }
      }
    }),
  );
}

async function all(db: DynamoClient, table: string, prefix: string): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db.document.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': `${prefix}#` },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    out.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

describeEngine('dynamodb', (endpoint) => {
  const table = defineTable({ name: uniqueName('dbkit_backfill'), partitionKey: 'pk', sortKey: 'sk' });
  const db = testClient(endpoint);
  const checkpoint = (name: string) =>
    db.document.send(
      new GetCommand({
        TableName: table.name,
        Key: { pk: '_dbkit#backfills', sk: name },
        ConsistentRead: true,
      }),
    );

  beforeAll(async () => {
    await db.ensureTable(table);
  });
  afterAll(async () => {
    await db.deleteTable(table);
    db.destroy();
  });

  it(
    `resumes after SIGKILL halfway and transforms each of ${N} items exactly once`,
    async () => {
      await populate(db, table.name, 'kill', N);
      const name = 'kill-resume';
      const proc = spawn(process.execPath, ['--conditions=dbkit-source', '--import', 'tsx', child], {
        env: {
          ...process.env,
          ENDPOINT: endpoint,
          TABLE: table.name,
          BACKFILL: name,
          RATE: String(Math.ceil(N / 3)),
          LEASE_MS: '1000',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let killedAt = 0;
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            const p = JSON.parse(line) as { scanned?: number; done?: boolean };
            if (p.done === true) reject(new Error('the child finished before it was killed'));
            if ((p.scanned ?? 0) >= N / 2 && killedAt === 0) {
              killedAt = p.scanned ?? 0;
              proc.kill('SIGKILL');
            }
          }
        });
        proc.on('exit', () => {
          resolve();
        });
        proc.on('error', reject);
      });
      expect(killedAt).toBeGreaterThanOrEqual(N / 2);
      expect((await checkpoint(name)).Item).toBeDefined();
      const before = (await all(db, table.name, 'kill')).filter((i) => i.migrated === true).length;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(N);

      // The killed run's lease (1 s) runs out; the second run takes the checkpoint over and resumes.
      await new Promise((r) => setTimeout(r, 1_100));
      const report = await backfill(db, {
        name,
        source: table,
        batchSize: 100,
        segments: 4,
        leaseMs: 1_000,
        transform: (item) =>
          item.migrated === true
            ? undefined
            : { set: { migrated: true, count: Number(item.count ?? 0) + 1 } },
      });
      expect(report.resumed).toBe(true);
      expect(report.completed).toBe(true);
      const items = await all(db, table.name, 'kill');
      expect(items).toHaveLength(N);
      expect(items.filter((i) => i.migrated !== true)).toEqual([]);
      expect(items.filter((i) => i.count !== 1)).toEqual([]);
      expect((await checkpoint(name)).Item).toBeUndefined();
    },
    Math.max(180_000, N * 20),
  );

  it(
    'never overwrites a concurrent application write: a changed item is skipped, and a re-run finishes it',
    async () => {
      const n = process.env.DBKIT_BACKFILL_ITEMS === undefined ? 600 : N; // the acceptance run uses N
      await populate(db, table.name, 'race', n, () => ({ v: 0, derived: 0 }));
      // The application keeps `derived = v * 2` on every write; the backfill computes it from `v` it read.
      const increments = new Map<number, number>();
      const state = { stop: false };
      const writer = (async () => {
        let writes = 0;
        for (;;) {
          if (state.stop && writes >= 50) break;
          const i = Math.floor(Math.random() * n);
          const key = { pk: `race#${i}`, sk: 'A' };
          const got = await db.document.send(
            new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }),
          );
          const v = Number(got.Item?.v ?? 0);
          try {
            await db.document.send(
              new UpdateCommand({
                TableName: table.name,
                Key: key,
                UpdateExpression: 'SET v = :nv, derived = :nd',
                ConditionExpression: 'v = :ov',
                ExpressionAttributeValues: { ':nv': v + 1, ':nd': (v + 1) * 2 + 1, ':ov': v },
              }),
            );
            increments.set(i, (increments.get(i) ?? 0) + 1);
            writes++;
          } catch (err) {
            if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
          }
        }
      })();
      // Backfill formula: derived = v * 2 + 1 (the application writes it the same way).
      const transform = (item: Item) => {
        const want = Number(item.v) * 2 + 1;
        return item.derived === want ? undefined : { set: { derived: want } };
      };
      const first = await backfill(db, {
        name: 'race',
        source: table,
        batchSize: 25,
        segments: 2,
        reads: ['v'],
        transform,
      });
      state.stop = true;
      await writer;
      expect(first.completed).toBe(true);
      const items = await all(db, table.name, 'race');
      for (const item of items) {
        const i = Number(item.n);
        expect(item.v).toBe(increments.get(i) ?? 0);
        // Never a derived value computed from a stale `v`: either current or not written yet.
        expect([Number(item.v) * 2 + 1, 0]).toContain(item.derived);
      }
      const second = await backfill(db, { name: 'race', source: table, reads: ['v'], transform });
      expect(second.changed + first.changed).toBeGreaterThanOrEqual(n - increments.size);
      const after = await all(db, table.name, 'race');
      expect(after.filter((item) => item.derived !== Number(item.v) * 2 + 1)).toEqual([]);
    },
    Math.max(60_000, N * 20),
  );

  it('dry run counts what would change and writes nothing, not even a checkpoint', async () => {
    await populate(db, table.name, 'dry', 150, (i) => (i % 3 === 0 ? { status: 'x' } : {}));
    const report = await backfill(db, {
      name: 'dry',
      source: table,
      dryRun: true,
      transform: (item) =>
        String(item.pk).startsWith('dry#') && item.status === undefined
          ? { set: { status: 'new' } }
          : undefined,
    });
    expect(report.dryRun).toBe(true);
    expect(report.changed).toBe(100);
    expect((await all(db, table.name, 'dry')).filter((i) => i.status === 'new')).toEqual([]);
    expect((await checkpoint('dry')).Item).toBeUndefined();
  });

  it('counts an empty change (nothing to set or remove) as skipped, not changed', async () => {
    const small = defineTable({
      name: uniqueName('dbkit_backfill_empty'),
      partitionKey: 'pk',
      sortKey: 'sk',
    });
    await db.ensureTable(small);
    try {
      await populate(db, small.name, 'empty', 30);
      const report = await backfill(db, { name: 'empty', source: small, transform: () => ({ set: {} }) });
      expect(report).toMatchObject({ completed: true, scanned: 30, changed: 0, skipped: 30 });
    } finally {
      await db.deleteTable(small);
    }
  });

  it('walks one partition with a Query (table or GSI) instead of scanning', async () => {
    const indexed = defineTable({
      name: uniqueName('dbkit_backfill_query'),
      partitionKey: 'pk',
      sortKey: 'sk',
      indexes: { byGroup: { partitionKey: 'group', sortKey: 'pk' } },
    });
    await db.ensureTable(indexed);
    try {
      await populate(db, indexed.name, 'q', 60, (i) => ({ group: `g${i % 3}` }));
      const seen: string[] = [];
      const report = await backfill(db, {
        name: 'query-gsi',
        source: indexed,
        query: { index: 'byGroup', partitionKey: 'g1' },
        batchSize: 7,
        transform: (item) => {
          seen.push(String(item.pk));
          return { set: { touched: true } };
        },
      });
      expect(report).toMatchObject({ completed: true, scanned: 20, changed: 20 });
      const items = await all(db, indexed.name, 'q');
      expect(items.filter((i) => i.touched === true).every((i) => i.group === 'g1')).toBe(true);
      expect(items.filter((i) => i.touched === true)).toHaveLength(20);
      const one = await backfill(db, {
        name: 'query-table',
        source: indexed,
        query: { partitionKey: 'q#5' },
        transform: () => ({ set: { single: true } }),
      });
      expect(one).toMatchObject({ completed: true, scanned: 1, changed: 1 });
    } finally {
      await db.deleteTable(indexed);
    }
  });

  it('never visits the journal or checkpoint items, and an entity source sees only its items', async () => {
    await db.document.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: '_dbkit#backfills', sk: 'someone-else' },
        UpdateExpression: 'SET #o = :o, expiresAt = :e, #x = :x',
        ExpressionAttributeNames: { '#o': 'owner', '#x': '_entity' },
        ExpressionAttributeValues: { ':o': 'other', ':e': 0, ':x': '_dbkit' },
      }),
    );
    const Thing = defineEntity(table, {
      name: 'Thing',
      schema: z.object({ n: z.number() }),
      key: { pk: 'T#{n}', sk: 'A' },
    });
    const seen: Item[] = [];
    await backfill(db, { name: 'visit', source: table, transform: (item) => void seen.push(item) });
    expect(seen.some((i) => String(i.pk).startsWith('_dbkit#'))).toBe(false);
    const ofEntity: Item[] = [];
    await populate(db, table.name, 'other', 10, () => ({ _entity: 'Other' }));
    await backfill(db, {
      name: 'visit-entity',
      source: Thing,
      transform: (item) => void ofEntity.push(item),
    });
    expect(ofEntity.length).toBeGreaterThan(0);
    expect(ofEntity.every((i) => i._entity === 'Thing')).toBe(true);
  });

  it('completes through ~30% throttling, counting the throttles, with every item done', async () => {
    // A table of its own: the scan walks these 300 items only.
    const small = defineTable({ name: uniqueName('dbkit_backfill_thr'), partitionKey: 'pk', sortKey: 'sk' });
    await db.ensureTable(small);
    await populate(db, small.name, 'thr', 300);
    const proxy = await startFaultProxy(endpoint);
    const sdk = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      retryMode: 'standard',
    });
    const viaProxy = createDynamoClient({ client: sdk, retry: { baseDelayMs: 5, maxDelayMs: 50 } });
    try {
      proxy.setRule(throttleShare(0.3));
      const report = await backfill(viaProxy, {
        name: 'throttled',
        source: small,
        batchSize: 50,
        retry: false,
        transform: (item) =>
          item.migrated !== true
            ? { set: { migrated: true, count: Number(item.count ?? 0) + 1 } }
            : undefined,
      });
      expect(report.completed).toBe(true);
      expect(report.throttled).toBeGreaterThan(0);
      expect(report.failed).toBe(0);
      proxy.setRule(() => ({ kind: 'forward' }));
      const items = await all(db, small.name, 'thr');
      expect(items).toHaveLength(300);
      expect(items.filter((i) => i.migrated !== true || i.count !== 1)).toEqual([]);
      const left = await db.document.send(
        new GetCommand({
          TableName: small.name,
          Key: { pk: '_dbkit#backfills', sk: 'throttled' },
          ConsistentRead: true,
        }),
      );
      expect(left.Item).toBeUndefined();
    } finally {
      await db.deleteTable(small);
      viaProxy.destroy();
      sdk.destroy();
      await proxy.close();
    }
  }, 60_000);
});
