// Unit tests of code built on dbkit with aws-sdk-client-mock, exactly as users write them: mocked answers reach dbkit's parsing, error mapping and retries, whichever of the mock and the client came first.
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError, VersionConflictError } from '../../src/core/internal.js';
import { createDynamoClient } from '../../src/dynamo/index.js';
import type { DynamoClient, DynamoClientOptions } from '../../src/dynamo/index.js';
import { CURSOR_SECRET, defineModel } from './model.js';

const model = defineModel('dbkit_mocked');
// Nothing listens here: a request that escaped the mock would fail with a connection error.
const options: DynamoClientOptions = {
  region: 'local',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  cursorSecret: CURSOR_SECRET,
  retry: { baseDelayMs: 1, maxDelayMs: 5 },
  shareClient: false,
};

// Created before the mock is installed, as a module-level `db` in the code under test would be.
const createdBeforeMock = createDynamoClient(options);

const dynamoMock = mockClient(DynamoDBDocumentClient);

const clients: DynamoClient[] = [createdBeforeMock];

beforeEach(() => {
  dynamoMock.reset();
});

afterAll(() => {
  dynamoMock.restore();
  for (const db of clients) db.destroy();
});

const orders: [string, () => DynamoClient][] = [
  ['a client created before mockClient', () => createdBeforeMock],
  [
    'a client created after mockClient',
    () => {
      const db = createDynamoClient(options);
      clients.push(db);
      return db;
    },
  ],
  [
    'a client over a DocumentClient the service already had',
    () => {
      const sdk = new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9' });
      const db = createDynamoClient({ ...options, document: DynamoDBDocumentClient.from(sdk) });
      clients.push(db);
      return db;
    },
  ],
];

/** An Account item exactly as dbkit stores it (keys, entity marker), from dbkit's own builder. */
function storedAccount(db: DynamoClient, id: string, balance: unknown): Record<string, unknown> {
  const item = db.entity(model.Account).params.put({ id, balance: 0 }).Item as Record<string, unknown>;
  return { ...item, balance };
}

const conditionalCheckFailed = (item?: Record<string, unknown>) =>
  Object.assign(
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    item === undefined ? {} : { Item: item },
  );

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds', $metadata: {} });

describe.each(orders)('aws-sdk-client-mock with %s', (_label, client) => {
  it('answers entity.get with the mocked GetCommand item, parsed by the schema', async () => {
    const db = client();
    dynamoMock.on(GetCommand).resolves({ Item: storedAccount(db, '123', 42) });
    expect(await db.entity(model.Account).get({ id: '123' })).toEqual({ id: '123', balance: 42 });
    const [call] = dynamoMock.commandCalls(GetCommand);
    expect(call?.args[0].input).toMatchObject({
      TableName: 'dbkit_mocked',
      Key: { pk: 'ACCOUNT#123', sk: 'ACCOUNT' },
    });
  });

  it('rejects a mocked item that does not match the schema with a ValidationError', async () => {
    const db = client();
    dynamoMock.on(GetCommand).resolves({ Item: storedAccount(db, '123', 'lots') });
    const error = await db
      .entity(model.Account)
      .get({ id: '123' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toContainEqual(['balance']);
  });

  it('turns a mocked ConditionalCheckFailedException on create into a ConflictError', async () => {
    const db = client();
    dynamoMock.on(PutCommand).rejects(conditionalCheckFailed());
    const error = await db
      .entity(model.Account)
      .create({ id: '123', balance: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('turns a mocked ConditionalCheckFailedException on a versioned update into a VersionConflictError', async () => {
    const db = client();
    // DynamoDB returns the current item (ALL_OLD) in wire format; the DocumentClient leaves errors as they are.
    dynamoMock
      .on(UpdateCommand)
      .rejects(conditionalCheckFailed({ pk: { S: 'COUNTER#c' }, sk: { S: 'COUNTER' }, version: { N: '3' } }));
    const error = await db
      .entity(model.Counter)
      .update({ id: 'c' }, { set: { value: 2 } }, { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({ expectedVersion: 1, actualVersion: 3 });
  });

  it('retries mocked throttling itself, on reads and on writes DynamoDB did not apply', async () => {
    const db = client();
    dynamoMock
      .on(GetCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ Item: storedAccount(db, '7', 7) });
    dynamoMock.on(PutCommand).rejectsOnce(throttled()).resolves({});
    expect(await db.entity(model.Account).get({ id: '7' })).toEqual({ id: '7', balance: 7 });
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(3);
    await db.entity(model.Account).create({ id: '8', balance: 8 });
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(2);
  });
});

describe('aws-sdk-client-mock on one dbkit client', () => {
  it('intercepts dbkit commands with a mock of db.document itself, and hands back to the class mock on restore', async () => {
    const db = createDynamoClient(options);
    clients.push(db);
    dynamoMock.on(GetCommand).resolves({});
    const instanceMock = mockClient(db.document);
    instanceMock.on(GetCommand).resolves({ Item: storedAccount(db, 'i', 1) });
    expect(await db.entity(model.Account).get({ id: 'i' })).toEqual({ id: 'i', balance: 1 });
    instanceMock.restore();
    expect(await db.entity(model.Account).get({ id: 'i' })).toBeNull();
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(1);
  });

  it('refuses both an SDK client and a DocumentClient, which would leave unclear whose configuration applies', () => {
    const sdk = new DynamoDBClient({ region: 'local' });
    expect(() =>
      createDynamoClient({ ...options, client: sdk, document: DynamoDBDocumentClient.from(sdk) }),
    ).toThrow(/either `client` or `document`/);
    sdk.destroy();
  });
});
