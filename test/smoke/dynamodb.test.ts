// Smoke test: an item round-trips through the real AWS SDK v3 DocumentClient against DynamoDB Local.
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, uniqueName } from '../helpers/engines.js';

describeEngine('dynamodb', (endpoint) => {
  const TableName = uniqueName('smoke');
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    client = new DynamoDBClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      // DynamoDB Local accepts any credentials; a real endpoint uses the default provider chain.
      ...(process.env.AWS_ACCESS_KEY_ID === undefined
        ? { credentials: { accessKeyId: 'dbkit', secretAccessKey: 'dbkit' } }
        : {}),
    });
    doc = DynamoDBDocumentClient.from(client);
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName });
  });

  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName }));
    client.destroy();
  });

  it('round-trips an item through the DocumentClient', async () => {
    const item = {
      pk: 'USER#ada',
      sk: 'PROFILE',
      name: 'Ada Lovelace',
      born: 1815,
      tags: new Set(['math', 'engines']),
      address: { city: 'London', lines: ['St James’s Square'] },
      active: true,
    };
    await doc.send(new PutCommand({ TableName, Item: item }));

    const { Item } = await doc.send(new GetCommand({ TableName, Key: { pk: 'USER#ada', sk: 'PROFILE' } }));
    expect(Item).toEqual(item);

    await doc.send(new DeleteCommand({ TableName, Key: { pk: 'USER#ada', sk: 'PROFILE' } }));
    const after = await doc.send(new GetCommand({ TableName, Key: { pk: 'USER#ada', sk: 'PROFILE' } }));
    expect(after.Item).toBeUndefined();
  });
});
