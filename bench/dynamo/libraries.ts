// The same five operations written with dbkit, the raw DocumentClient, ElectroDB, dynamodb-toolbox and Dynamoose, over one table.
import { DynamoDB, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BatchWriteCommandInput, BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import {
  $add,
  BatchPutRequest,
  BatchWriteCommand as TbBatchWriteCommand,
  Entity as TbEntity,
  executeBatchWrite,
  GetItemCommand,
  item,
  number,
  PutItemCommand,
  QueryCommand as TbQueryCommand,
  string,
  Table as TbTable,
  UpdateItemCommand,
} from 'dynamodb-toolbox';
import dynamoose from 'dynamoose';
import type { AnyItem } from 'dynamoose/dist/Item.js';
import { Entity as ElectroEntity } from 'electrodb';
import { z } from 'zod';
import { createDynamoClient, defineEntity, defineTable } from 'dbkit/dynamo';
import { ReplayHandler } from './replay-handler.js';

/** A user as every library stores it. */
export interface BenchUser {
  id: string;
  name: string;
  email: string;
  age: number;
}

/** A post, for the query page and the batch write. */
export interface BenchPost {
  userId: string;
  postId: string;
  title: string;
  likes: number;
}

/** The five operations under test. */
export interface Library {
  readonly name: string;
  readonly handler: ReplayHandler;
  get(id: string): Promise<unknown>;
  put(user: BenchUser): Promise<unknown>;
  update(id: string): Promise<unknown>;
  queryPage(userId: string): Promise<number>;
  batchWrite(posts: BenchPost[]): Promise<unknown>;
  destroy(): void;
}

function sdkConfig(endpoint: string, handler: ReplayHandler) {
  return {
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: handler as never,
    maxAttempts: 3,
  };
}

function sdkClient(endpoint: string, handler: ReplayHandler): DynamoDBClient {
  return new DynamoDBClient(sdkConfig(endpoint, handler));
}

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

const PAGE = 50;

/** dbkit: schema-validated writes and reads, signed cursors, core executor. */
export function dbkitLibrary(endpoint: string, tableName: string): Library {
  const handler = new ReplayHandler();
  const table = defineTable({ name: tableName, partitionKey: 'pk', sortKey: 'sk' });
  const User = defineEntity(table, {
    name: 'User',
    schema: z.object({ id: z.string(), name: z.string(), email: z.string(), age: z.number() }),
    key: { pk: 'DBK#{id}', sk: 'PROFILE' },
  });
  const Post = defineEntity(table, {
    name: 'Post',
    schema: z.object({ userId: z.string(), postId: z.string(), title: z.string(), likes: z.number() }),
    key: { pk: 'DBKU#{userId}', sk: 'POST#{postId}' },
  });
  const db = createDynamoClient({
    client: sdkClient(endpoint, handler),
    cursorSecret: 'benchmark-cursor-secret-0123456789',
  });
  const users = db.entity(User);
  const posts = db.entity(Post);
  return {
    name: 'dbkit',
    handler,
    get: (id) => users.get({ id }),
    put: (user) => users.put(user),
    update: (id) => users.update({ id }, { set: { name: 'Renamed' }, increment: { age: 1 } }),
    queryPage: async (userId) => (await posts.query({ partition: { userId }, limit: PAGE })).items.length,
    batchWrite: (items) => posts.batchWrite({ put: items }),
    destroy: () => {
      db.client.destroy();
    },
  };
}

/** The raw DocumentClient, written the way the seed documents do (expressions by hand). */
export function rawLibrary(endpoint: string, tableName: string): Library {
  const handler = new ReplayHandler();
  const client = sdkClient(endpoint, handler);
  const doc = documentClient(client);
  return {
    name: 'DocumentClient',
    handler,
    get: async (id) =>
      (await doc.send(new GetCommand({ TableName: tableName, Key: { pk: `RAW#${id}`, sk: 'PROFILE' } })))
        .Item as BenchUser | undefined,
    put: (user) =>
      doc.send(
        new PutCommand({ TableName: tableName, Item: { pk: `RAW#${user.id}`, sk: 'PROFILE', ...user } }),
      ),
    update: async (id) =>
      (
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `RAW#${id}`, sk: 'PROFILE' },
            UpdateExpression: 'SET #name = :name, #age = if_not_exists(#age, :zero) + :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#name': 'name', '#age': 'age' },
            ExpressionAttributeValues: { ':name': 'Renamed', ':zero': 0, ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        )
      ).Attributes,
    queryPage: async (userId) => {
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': `RAWU#${userId}`, ':sk': 'POST#' },
          Limit: PAGE,
        }),
      );
      return out.Items?.length ?? 0;
    },
    batchWrite: async (items) => {
      for (let i = 0; i < items.length; i += 25) {
        let request: BatchWriteCommandInput['RequestItems'] = {
          [tableName]: items
            .slice(i, i + 25)
            .map((p) => ({ PutRequest: { Item: { pk: `RAWU#${p.userId}`, sk: `POST#${p.postId}`, ...p } } })),
        };
        while (request !== undefined && Object.keys(request).length > 0) {
          const out: BatchWriteCommandOutput = await doc.send(
            new BatchWriteCommand({ RequestItems: request }),
          );
          request = out.UnprocessedItems;
        }
      }
    },
    destroy: () => {
      client.destroy();
    },
  };
}

/** ElectroDB. */
export function electroLibrary(endpoint: string, tableName: string): Library {
  const handler = new ReplayHandler();
  const client = sdkClient(endpoint, handler);
  const doc = documentClient(client);
  const EUser = new ElectroEntity(
    {
      model: { entity: 'user', version: '1', service: 'bench' },
      attributes: {
        id: { type: 'string', required: true },
        name: { type: 'string', required: true },
        email: { type: 'string', required: true },
        age: { type: 'number', required: true },
      },
      indexes: { primary: { pk: { field: 'pk', composite: ['id'] }, sk: { field: 'sk', composite: [] } } },
    },
    { table: tableName, client: doc },
  );
  const EPost = new ElectroEntity(
    {
      model: { entity: 'post', version: '1', service: 'bench' },
      attributes: {
        userId: { type: 'string', required: true },
        postId: { type: 'string', required: true },
        title: { type: 'string', required: true },
        likes: { type: 'number', required: true },
      },
      indexes: {
        primary: { pk: { field: 'pk', composite: ['userId'] }, sk: { field: 'sk', composite: ['postId'] } },
      },
    },
    { table: tableName, client: doc },
  );
  return {
    name: 'ElectroDB',
    handler,
    get: async (id) => (await EUser.get({ id }).go()).data,
    put: (user) => EUser.put(user).go(),
    update: async (id) =>
      (await EUser.update({ id }).set({ name: 'Renamed' }).add({ age: 1 }).go({ response: 'all_new' })).data,
    queryPage: async (userId) => (await EPost.query.primary({ userId }).go({ limit: PAGE })).data.length,
    batchWrite: (items) => EPost.put(items).go(),
    destroy: () => {
      client.destroy();
    },
  };
}

/** dynamodb-toolbox v2. */
export function toolboxLibrary(endpoint: string, tableName: string): Library {
  const handler = new ReplayHandler();
  const client = sdkClient(endpoint, handler);
  const doc = documentClient(client);
  const table = new TbTable({
    name: tableName,
    partitionKey: { name: 'pk', type: 'string' },
    sortKey: { name: 'sk', type: 'string' },
    documentClient: doc,
  });
  const TUser = new TbEntity({
    name: 'TUser',
    table,
    schema: item({ id: string().key(), name: string(), email: string(), age: number() }),
    computeKey: ({ id }: { id: string }) => ({ pk: `TB#${id}`, sk: 'PROFILE' }),
    timestamps: false,
  });
  const TPost = new TbEntity({
    name: 'TPost',
    table,
    schema: item({ userId: string().key(), postId: string().key(), title: string(), likes: number() }),
    computeKey: ({ userId, postId }: { userId: string; postId: string }) => ({
      pk: `TBU#${userId}`,
      sk: `POST#${postId}`,
    }),
    timestamps: false,
  });
  return {
    name: 'dynamodb-toolbox',
    handler,
    get: async (id) => (await TUser.build(GetItemCommand).key({ id }).send()).Item,
    put: (user) => TUser.build(PutItemCommand).item(user).send(),
    update: async (id) =>
      (
        await TUser.build(UpdateItemCommand)
          .item({ id, name: 'Renamed', age: $add(1) })
          .options({ returnValues: 'ALL_NEW' })
          .send()
      ).Attributes,
    queryPage: async (userId) =>
      (
        await table
          .build(TbQueryCommand)
          .entities(TPost)
          .query({ partition: `TBU#${userId}`, range: { beginsWith: 'POST#' } })
          .options({ limit: PAGE })
          .send()
      ).Items?.length ?? 0,
    batchWrite: async (items) => {
      const commands = [];
      for (let i = 0; i < items.length; i += 25) {
        commands.push(
          table
            .build(TbBatchWriteCommand)
            .requests(...items.slice(i, i + 25).map((p) => TPost.build(BatchPutRequest).item(p))),
        );
      }
      for (const command of commands) await executeBatchWrite({ maxAttempts: 5 }, command);
    },
    destroy: () => {
      client.destroy();
    },
  };
}

/** Dynamoose 4: schema-checked models on its own Instance, over the aggregated `DynamoDB` client it calls. */
export function dynamooseLibrary(endpoint: string, tableName: string): Library {
  const handler = new ReplayHandler();
  const ddb = new DynamoDB(sdkConfig(endpoint, handler));
  const instance = new dynamoose.Instance();
  instance.aws.ddb.set(ddb);
  const keys = { pk: { type: String, hashKey: true }, sk: { type: String, rangeKey: true } } as const;
  const DUser = dynamoose.model(
    'BenchDynamooseUser',
    new dynamoose.Schema({ ...keys, id: String, name: String, email: String, age: Number }),
  );
  const DPost = dynamoose.model(
    'BenchDynamoosePost',
    new dynamoose.Schema({ ...keys, userId: String, postId: String, title: String, likes: Number }),
  );
  // The table exists already: no create, update or wait, so no control-plane request is timed.
  new instance.Table(tableName, [DUser, DPost], { create: false, update: false, waitForActive: false });
  return {
    name: 'Dynamoose',
    handler,
    // Dynamoose's typings say an item, but it resolves undefined for a missing one.
    get: async (id) =>
      ((await DUser.get({ pk: `DYN#${id}`, sk: 'PROFILE' })) as AnyItem | undefined)?.toJSON(),
    put: (user) => DUser.create({ pk: `DYN#${user.id}`, sk: 'PROFILE', ...user }, { overwrite: true }),
    update: async (id) =>
      (
        await DUser.update(
          { pk: `DYN#${id}`, sk: 'PROFILE' },
          { $SET: { name: 'Renamed' }, $ADD: { age: 1 } },
          { condition: new dynamoose.Condition().attribute('pk').exists() },
        )
      ).toJSON(),
    queryPage: async (userId) =>
      (await DPost.query('pk').eq(`DYNU#${userId}`).where('sk').beginsWith('POST#').limit(PAGE).exec())
        .length,
    batchWrite: async (items) => {
      for (let i = 0; i < items.length; i += 25) {
        let pending: object[] = items
          .slice(i, i + 25)
          .map((p) => ({ pk: `DYNU#${p.userId}`, sk: `POST#${p.postId}`, ...p }));
        // Dynamoose sends each BatchWriteItem as given and reports what DynamoDB left unprocessed.
        while (pending.length > 0) pending = (await DPost.batchPut(pending)).unprocessedItems;
      }
    },
    destroy: () => {
      ddb.destroy();
    },
  };
}
