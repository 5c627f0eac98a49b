// One SDK client per configuration across DynamoClients (serverless invocations), and the SDK clients and DocumentClients services already have, on DynamoDB Local.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutcomeUnknownError } from '../../src/core/internal.js';
import { createDynamoClient } from '../../src/dynamo/index.js';
import type { DynamoClient, DynamoClientOptions } from '../../src/dynamo/index.js';
import { startFaultProxy } from '../../src/testing/faults/index.js';
import type { FaultProxy } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { CURSOR_SECRET, defineModel } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_reuse'));
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const base: DynamoClientOptions = { region: 'local', endpoint, cursorSecret: CURSOR_SECRET };
  const sdkClients: DynamoDBClient[] = [];
  const userSdk = (options: { endpoint?: string; maxAttempts?: number } = {}) => {
    const sdk = new DynamoDBClient({
      region: 'local',
      endpoint: options.endpoint ?? endpoint,
      credentials,
      maxAttempts: options.maxAttempts ?? 3,
    });
    sdkClients.push(sdk);
    return sdk;
  };
  // The user's DocumentClient unmarshals numbers as NumberValue: not dbkit's choice, and it must stay theirs.
  const userDocument = (sdk: DynamoDBClient) =>
    DynamoDBDocumentClient.from(sdk, { unmarshallOptions: { wrapNumbers: true } });
  let admin: DynamoClient;
  let proxy: FaultProxy;

  beforeAll(async () => {
    // Provisioned through a DocumentClient the service already had: db.client sends table commands too.
    admin = createDynamoClient({ ...base, document: userDocument(userSdk()), shareClient: false });
    await admin.ensureTable(model.table);
    proxy = await startFaultProxy(endpoint);
  });
  afterAll(async () => {
    await proxy.close();
    await admin.deleteTable(model.table);
    admin.destroy();
    for (const sdk of sdkClients) sdk.destroy();
  });

  it('gives DynamoClients created with the same configuration one SDK client, as across serverless invocations', async () => {
    const first = createDynamoClient({ ...base, credentials: { ...credentials } });
    const second = createDynamoClient({ ...base, credentials: { ...credentials } });
    expect(second.client).toBe(first.client);
    expect(second.document).toBe(first.document);
    await first.entity(model.Account).put({ id: 'shared', balance: 1 });
    expect(await second.entity(model.Account).get({ id: 'shared' })).toEqual({ id: 'shared', balance: 1 });
    first.destroy();
    second.destroy();
  });

  it('keeps configurations that differ in endpoint, credentials, timeouts or retries on separate SDK clients', () => {
    const reference = createDynamoClient({ ...base, credentials });
    const variants = [
      createDynamoClient({ ...base, credentials, timeoutMs: 2_000 }),
      createDynamoClient({ ...base, credentials: { accessKeyId: 'other', secretAccessKey: 'local' } }),
      createDynamoClient({ ...base, credentials: () => Promise.resolve(credentials) }),
      createDynamoClient({ ...base, credentials, endpoint: proxy.endpoint }),
      createDynamoClient({ ...base, credentials, region: 'eu-west-1' }),
      createDynamoClient({ ...base, credentials, shareClient: false }),
    ];
    for (const variant of variants) expect(variant.client).not.toBe(reference.client);
    expect(new Set(variants.map((v) => v.client)).size).toBe(variants.length);
    for (const db of [reference, ...variants]) db.destroy();
  });

  it('closes a shared SDK client only when the last DynamoClient holding it is destroyed', async () => {
    const first = createDynamoClient({ ...base, credentials, timeoutMs: 4_321 });
    const second = createDynamoClient({ ...base, credentials, timeoutMs: 4_321 });
    first.destroy();
    first.destroy(); // a second call must not release second's share
    const third = createDynamoClient({ ...base, credentials, timeoutMs: 4_321 });
    expect(third.client).toBe(second.client);
    await second.entity(model.Account).put({ id: 'held', balance: 2 });
    expect(await third.entity(model.Account).get({ id: 'held' })).toMatchObject({ balance: 2 });
    second.destroy();
    third.destroy();
    const fresh = createDynamoClient({ ...base, credentials, timeoutMs: 4_321 });
    expect(fresh.client).not.toBe(second.client);
    fresh.destroy();
  });

  it('reads numbers exactly through a DocumentClient handed in, and leaves its own marshalling as it was', async () => {
    const sdk = userSdk();
    const mine = userDocument(sdk);
    // A DocumentClient over the SDK client, made before dbkit's, that dbkit must not retune.
    const viaClient = userDocument(sdk);
    const db = createDynamoClient({ ...base, document: mine });
    const overClient = createDynamoClient({ ...base, client: sdk });
    await db.entity(model.Ledger).put({ id: 'exact', big: 12345678901234567890n, plain: 7 });
    expect(await overClient.entity(model.Ledger).get({ id: 'exact' })).toMatchObject({
      big: 12345678901234567890n,
      plain: 7,
    });
    const key = { pk: 'LEDGER#exact', sk: 'LEDGER' };
    for (const doc of [mine, viaClient]) {
      const raw = await doc.send(new GetCommand({ TableName: model.table.name, Key: key }));
      expect(raw.Item?.plain).toBeInstanceOf(NumberValue);
      expect(doc.config.translateConfig).toMatchObject({ unmarshallOptions: { wrapNumbers: true } });
    }
    db.destroy();
    overClient.destroy();
  });

  it('runs the middleware of a DocumentClient handed in on dbkit requests', async () => {
    const sdk = userSdk();
    const seen: string[] = [];
    sdk.middlewareStack.add(
      (next, context) => (args) => {
        seen.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'userTracing' },
    );
    const db = createDynamoClient({ ...base, document: DynamoDBDocumentClient.from(sdk) });
    await db.entity(model.Account).get({ id: 'traced' });
    await db.client.send(new DescribeTableCommand({ TableName: model.table.name }));
    expect(seen).toEqual(['GetItemCommand', 'DescribeTableCommand']);
    db.destroy();
  });

  it('never lets the SDK behind a DocumentClient handed in re-send a write whose answer was lost', async () => {
    await admin.entity(model.Post).create({ userId: 'doc', postId: 'p', title: 't', likes: 0 });
    const sdk = userSdk({ endpoint: proxy.endpoint, maxAttempts: 3 });
    const db = createDynamoClient({
      ...base,
      document: DynamoDBDocumentClient.from(sdk),
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
    proxy.setRule((op, _body, n) =>
      op === 'UpdateItem' && n === 1 ? { kind: 'applyThenLose', as: 'reset' } : { kind: 'forward' },
    );
    const error = await db
      .entity(model.Post)
      .update({ userId: 'doc', postId: 'p' }, { increment: { likes: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(proxy.calls.get('UpdateItem')).toBe(1);
    expect(await admin.entity(model.Post).get({ userId: 'doc', postId: 'p' })).toMatchObject({ likes: 1 });
    db.destroy();
  });
});
