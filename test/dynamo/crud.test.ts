// Single-item operations on DynamoDB Local: create, get, put, update, delete, optimistic locking, odd names, limits and numbers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DescribeTableCommand, DescribeTimeToLiveCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  backoffDelay,
  ConditionFailedError,
  ConflictError,
  isDbkitError,
  NotFoundError,
  sleep,
  VersionConflictError,
} from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { tx } from '../../src/dynamo/index.js';
import { defineModel, testClient } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_crud'));
  const events: OperationEvent[] = [];
  const db = testClient(endpoint, {
    consumedCapacity: true,
    instrumentation: { listeners: [(e) => events.push(e)] },
  });
  const users = db.entity(model.User);
  const posts = db.entity(model.Post);

  beforeAll(async () => {
    await db.ensureTable(model.table);
  });
  afterAll(async () => {
    await db.deleteTable(model.table);
    db.destroy();
  });

  it('creates, reads back and refuses a second create of the same key as a conflict', async () => {
    const created = await users.create({ id: 'c1', email: 'ada@example.com', name: 'Ada' });
    expect(created).toMatchObject({ id: 'c1', status: 'active', version: 1 });
    expect(created.createdAt).toBe(created.updatedAt);
    expect(await users.get({ id: 'c1' }, { consistent: true })).toEqual(created);
    await expect(users.create({ id: 'c1', email: 'x@example.com', name: 'X' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await users.get({ id: 'missing' })).toBeNull();
  });

  it('ensureTable is idempotent and leaves the GSI and TTL in place', async () => {
    expect(await db.ensureTable(model.table)).toBe(false);
    const described = await db.client.send(new DescribeTableCommand({ TableName: model.table.name }));
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);
    expect(described.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: model.table.name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('updates with typed actions and returns the new item or only the updated attributes', async () => {
    await users.create({ id: 'u1', email: 'u1@example.com', name: 'U', nickname: 'nick' });
    const updated = await users.update(
      { id: 'u1' },
      { set: { name: 'U2' }, increment: { logins: 2 }, append: { tags: ['a'] }, remove: ['nickname'] },
    );
    expect(updated).toMatchObject({ name: 'U2', logins: 2, tags: ['a'], version: 2 });
    expect(updated).not.toHaveProperty('nickname');
    const partial = await users.update(
      { id: 'u1' },
      { increment: { logins: 1 } },
      { returnValues: 'UPDATED_NEW' },
    );
    expect(partial).toMatchObject({ logins: 3, version: 3 });
    expect(partial).not.toHaveProperty('email');
  });

  it('moves a GSI key when an attribute in its template changes', async () => {
    await users.create({ id: 'g1', email: 'old@example.com', name: 'G' });
    await users.update({ id: 'g1' }, { set: { email: 'new@example.com' } });
    expect(
      (await users.query({ index: 'gsi1', partition: { email: 'old@example.com' } })).items,
    ).toHaveLength(0);
    expect(
      (await users.query({ index: 'gsi1', partition: { email: 'new@example.com' } })).items.map((u) => u.id),
    ).toEqual(['g1']);
  });

  it('tells a missing item, a lost version race and a failed condition apart', async () => {
    await expect(users.update({ id: 'nobody' }, { set: { name: 'x' } })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      users.update({ id: 'nobody' }, { set: { name: 'x' } }, { expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const v = await users.create({ id: 'v1', email: 'v1@example.com', name: 'V' });
    await users.update({ id: 'v1' }, { set: { name: 'V2' } }, { expectedVersion: v.version });
    const lost = await users
      .update({ id: 'v1' }, { set: { name: 'V3' } }, { expectedVersion: v.version })
      .catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(VersionConflictError);
    expect(lost).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
    await expect(
      users.update({ id: 'v1' }, { set: { name: 'V3' } }, { condition: { status: 'suspended' } }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
  });

  it('20 concurrent writers each incrementing a versioned item 10 times end at exactly 200', async () => {
    const counters = db.entity(model.Counter);
    await counters.create({ id: 'race', value: 0 });
    const writer = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        for (let attempt = 1; ; attempt++) {
          const current = await counters.get({ id: 'race' }, { consistent: true });
          if (current === null) throw new Error('counter vanished');
          try {
            await counters.update(
              { id: 'race' },
              { set: { value: current.value + 1 } },
              { expectedVersion: current.version },
            );
            break;
          } catch (err) {
            if (!(err instanceof VersionConflictError)) throw err;
            await sleep(backoffDelay(attempt, { baseDelayMs: 20, maxDelayMs: 400 }));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, writer));
    const final = await counters.get({ id: 'race' }, { consistent: true });
    expect(final?.value).toBe(200);
    expect(final?.version).toBe(201);
  });

  it('puts (replaces) with a version guard and deletes, optionally returning the old item', async () => {
    const counters = db.entity(model.Counter);
    await counters.create({ id: 'p1', value: 1 });
    const replaced = await counters.put({ id: 'p1', value: 10 }, { expectedVersion: 1 });
    expect(replaced).toMatchObject({ value: 10, version: 2 });
    await expect(counters.put({ id: 'p1', value: 11 }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(counters.delete({ id: 'p1' }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    const old = await counters.delete({ id: 'p1' }, { expectedVersion: 2, returnOld: true });
    expect(old).toMatchObject({ id: 'p1', value: 10 });
    await expect(counters.delete({ id: 'p1' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(counters.delete({ id: 'p1' }, { mustExist: false })).resolves.toBeUndefined();
  });

  it('handles reserved words and attribute names with dots, dashes, spaces and placeholder look-alikes', async () => {
    const odd = db.entity(model.Odd);
    await odd.create({
      id: 'o1',
      name: 'n',
      status: 's',
      data: 'd',
      count: 1,
      'a.b': 'dot',
      'x-y': 1,
      'has space': 'sp',
      '#notAPlaceholder': 'h',
      ':v0': 'c',
    });
    const updated = await odd.update(
      { id: 'o1' },
      {
        set: {
          name: 'n2',
          status: 's2',
          data: 'd2',
          'a.b': 'dot2',
          'has space': 'sp2',
          '#notAPlaceholder': 'h2',
          ':v0': 'c2',
        },
        increment: { count: 1, 'x-y': 5 },
      },
      { condition: { status: 's', 'a.b': { beginsWith: 'do' } } },
    );
    expect(updated).toEqual({
      id: 'o1',
      name: 'n2',
      status: 's2',
      data: 'd2',
      count: 2,
      'a.b': 'dot2',
      'x-y': 6,
      'has space': 'sp2',
      '#notAPlaceholder': 'h2',
      ':v0': 'c2',
    });
    const filtered = await db.scan(model.Odd, {
      allowScan: true,
      filter: { 'has space': 'sp2', count: { gt: 1 } },
    });
    expect(filtered.items.map((i) => i.id)).toEqual(['o1']);
  });

  it('refuses an item over 400 KB before sending', async () => {
    const odd = db.entity(model.Odd);
    const err = await odd
      .create({ id: 'big', name: 'x'.repeat(401 * 1024), status: 's', data: 'd', count: 1 })
      .catch((e: unknown) => e);
    expect(isDbkitError(err, 'limit.itemSize')).toBe(true);
    expect(await odd.get({ id: 'big' })).toBeNull();
  });

  it('cannot forge another key through a delimiter in a key value', async () => {
    await posts.create({ userId: 'victim', postId: '1', title: 'mine' });
    const err = await posts.get({ userId: 'victim', postId: '1#x' }).catch((e: unknown) => e);
    expect(isDbkitError(err, 'key.delimiterInValue')).toBe(true);
    const viaUser = await users.get({ id: 'victim#POST#1' }).catch((e: unknown) => e);
    expect(isDbkitError(viaUser, 'key.delimiterInValue')).toBe(true);
  });

  it('escapes delimiters under the escape policy, so a forged id reaches only its own item', async () => {
    const escaped = defineModel(model.table.name, 'escape');
    const escUsers = db.entity(escaped.User);
    await escUsers.create({ id: 'esc', email: 'esc@example.com', name: 'Real' });
    expect(await escUsers.get({ id: 'esc#PROFILE' })).toBeNull();
    const forged = await escUsers.create({ id: 'esc#PROFILE', email: 'f@example.com', name: 'Forged' });
    expect(forged.id).toBe('esc#PROFILE');
    expect((await escUsers.get({ id: 'esc' }))?.name).toBe('Real');
  });

  it('never loses number precision: an error naming the attribute, or bigint/string where the model asks', async () => {
    const ledger = db.entity(model.Ledger);
    await ledger.create({ id: 'l1', big: 123456789012345678901234567890n, plain: 1.5 });
    expect((await ledger.get({ id: 'l1' }))?.big).toBe(123456789012345678901234567890n);
    await db.document.send(
      new PutCommand({
        TableName: model.table.name,
        Item: { pk: 'LEDGER#l2', sk: 'LEDGER', _entity: 'Ledger', id: 'l2', exact: 0.1, plain: 1 },
      }),
    );
    await db.client.send(
      new PutItemCommand({
        TableName: model.table.name,
        Item: {
          pk: { S: 'LEDGER#l3' },
          sk: { S: 'LEDGER' },
          _entity: { S: 'Ledger' },
          id: { S: 'l3' },
          exact: { N: '0.1234567890123456789012' },
          plain: { N: '9007199254740993' },
        },
      }),
    );
    const err = await ledger.get({ id: 'l3' }).catch((e: unknown) => e);
    expect(isDbkitError(err, 'number.precisionLoss')).toBe(true);
    expect((err as Error).message).toContain('"plain"');
  });

  it('emits started and succeeded events with consumed capacity', async () => {
    events.length = 0;
    await users.get({ id: 'c1' });
    const succeeded = events.find((e) => e.type === 'succeeded');
    expect(events.map((e) => e.type)).toEqual(['started', 'succeeded']);
    expect(succeeded).toMatchObject({
      engine: 'dynamodb',
      operation: 'get',
      target: model.table.name,
      count: 1,
    });
    expect(
      succeeded?.type === 'succeeded' ? succeeded.consumedCapacity?.totalUnits : undefined,
    ).toBeGreaterThan(0);
  });

  it('reports a missing table as not found, naming it', async () => {
    const ghost = defineModel(uniqueName('dbkit_ghost'));
    const err = await db
      .entity(ghost.User)
      .get({ id: '1' })
      .catch((e: unknown) => e);
    expect(isDbkitError(err, 'internal.tableNotFound')).toBe(true);
    expect((err as Error).message).toContain(ghost.table.name);
  });
  it('creates a readable item when an update upserts, in a transaction or alone', async () => {
    await posts.update(
      { userId: 'up1', postId: 'a' },
      { set: { title: 'alone', published: true }, increment: { likes: 1 } },
      { upsert: true },
    );
    await db.transactWrite([
      tx.update(
        model.Post,
        { userId: 'up1', postId: 'b' },
        { set: { title: 'in tx', published: true }, increment: { likes: 2 } },
        { upsert: true },
      ),
    ]);
    const page = await posts.query({ partition: { userId: 'up1' } });
    expect(page.items.map((p) => [p.postId, p.title, p.likes])).toEqual([
      ['a', 'alone', 1],
      ['b', 'in tx', 2],
    ]);
    expect(await posts.get({ userId: 'up1', postId: 'b' }, { consistent: true })).toMatchObject({
      title: 'in tx',
    });
  });
});
