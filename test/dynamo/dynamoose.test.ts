// A real Dynamoose model on DynamoDB Local, sharing its SDK client with dbkit: sealed cursors over Dynamoose's lastKey, and Dynamoose's errors in dbkit's taxonomy.
import { DynamoDB } from '@aws-sdk/client-dynamodb';
import dynamoose from 'dynamoose';
import type { Item } from 'dynamoose/dist/Item.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ConditionFailedError,
  ConflictError,
  InternalError,
  isDbkitError,
  ThrottledError,
  ValidationError,
} from '../../src/core/internal.js';
import { createDynamoClient } from '../../src/dynamo/index.js';
import { dynamooseCursors, mapDynamooseError, withDynamooseErrors } from '../../src/dynamo/dynamoose.js';
import type { DynamoosePage } from '../../src/dynamo/dynamoose.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { CURSOR_SECRET } from './model.js';

interface PostItem extends Item {
  userId: string;
  postId: string;
  title: string;
  likes: number;
}

describeEngine('dynamodb', (endpoint) => {
  const tableName = uniqueName('dbkit_dynamoose');
  // Dynamoose calls the aggregated client's methods (`ddb.query(...)`), so it takes `DynamoDB`, a DynamoDBClient.
  const ddb = new DynamoDB({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  dynamoose.aws.ddb.set(ddb);
  const Post = dynamoose.model<PostItem>(
    uniqueName('DynamoosePost'),
    new dynamoose.Schema({
      userId: { type: String, hashKey: true },
      postId: { type: String, rangeKey: true },
      title: String,
      likes: Number,
    }),
  );
  const table = new dynamoose.Table(tableName, [Post], {
    create: true,
    initialize: false,
    throughput: 'ON_DEMAND',
    waitForActive: { enabled: true, check: { timeout: 20_000, frequency: 100 } },
  });
  // dbkit over the very SDK client Dynamoose uses: one pool, dbkit's cursor secret.
  const db = createDynamoClient({ client: ddb, cursorSecret: CURSOR_SECRET });
  const cursors = dynamooseCursors(db.cursors);
  const postErrors = { model: 'Post', table: tableName, keyFields: ['userId', 'postId'] };

  beforeAll(async () => {
    await table.initialize();
    const posts = [
      ...Array.from({ length: 25 }, (_, i) => ({ userId: 'u1', postId: String(i).padStart(3, '0') })),
      ...Array.from({ length: 3 }, (_, i) => ({ userId: 'u2', postId: String(i).padStart(3, '0') })),
    ];
    const items = posts.map((p) => ({ ...p, title: `Post ${p.postId}`, likes: 0 }));
    // Dynamoose sends one BatchWriteItem as given: at most 25 items each.
    for (let i = 0; i < items.length; i += 25) await Post.batchPut(items.slice(i, i + 25));
  }, 30_000);
  afterAll(async () => {
    await ddb.deleteTable({ TableName: tableName });
    db.destroy();
    ddb.destroy();
  });

  it('pages a Dynamoose query with sealed cursors that never show its key', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: DynamoosePage<PostItem> = await cursors.page(
        Post.query('userId').eq('u1').limit(10),
        cursor,
      );
      seen.push(...page.items.map((p) => p.postId));
      cursor = page.cursor;
      if (cursor !== null) {
        // Attribute names, and the key value as JSON would carry it: long enough that random
        // ciphertext cannot contain them by chance (a bare "u1" did, once in a few dozen runs).
        expect(cursor).not.toMatch(/userId|postId/);
        expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toMatch(/"u1"|userId|postId/);
      }
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i).padStart(3, '0')));
    expect(db.client).toBe(ddb);
  });

  it('pages backwards with the direction bound into the cursor', async () => {
    const first = await cursors.page(Post.query('userId').eq('u1').sort('descending').limit(20));
    expect(first.items.map((p) => p.postId).slice(0, 2)).toEqual(['024', '023']);
    const rest = await cursors.page(Post.query('userId').eq('u1').sort('descending').limit(20), first.cursor);
    expect(rest.items.map((p) => p.postId)).toEqual(['004', '003', '002', '001', '000']);
    // the same cursor on the ascending query is refused, not silently read the other way
    const error = await cursors
      .page(Post.query('userId').eq('u1').limit(20), first.cursor)
      .catch((e: unknown) => e);
    expect(isDbkitError(error, 'cursor.queryMismatch')).toBe(true);
  });

  it('refuses a tampered cursor, and a cursor replayed on another partition', async () => {
    const { cursor } = await cursors.page(Post.query('userId').eq('u1').limit(5));
    expect(cursor).not.toBeNull();
    const token = cursor ?? '';
    const flipped = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    const tampered = await cursors
      .page(Post.query('userId').eq('u1').limit(5), flipped)
      .catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(ValidationError);
    expect(isDbkitError(tampered, 'cursor.')).toBe(true);
    const replayed = await cursors
      .page(Post.query('userId').eq('u2').limit(5), token)
      .catch((e: unknown) => e);
    expect(isDbkitError(replayed, 'cursor.queryMismatch')).toBe(true);
    // nor can a cursor sealed for the query be opened as a raw key elsewhere
    const binding = await cursors.bind(Post.query('userId').eq('u1').limit(5));
    expect(cursors.open(token, binding)).toEqual({ userId: 'u1', postId: '004' });
  });

  it('maps a Dynamoose create on an existing key to ConflictError and a failed save condition to ConditionFailedError', async () => {
    const created = await withDynamooseErrors({ ...postErrors, operation: 'create' }, () =>
      Post.create({ userId: 'u1', postId: '000', title: 'again', likes: 1 }),
    ).catch((e: unknown) => e);
    expect(created).toBeInstanceOf(ConflictError);
    expect(created).toMatchObject({
      code: 'conflict.exists',
      fields: ['userId', 'postId'],
      target: tableName,
    });
    expect((created as ConflictError).message).toBe('Post already exists with this key');
    expect((created as ConflictError).cause).toMatchObject({ name: 'ConditionalCheckFailedException' });

    const post = await Post.get({ userId: 'u1', postId: '001' });
    post.likes = 5;
    const saved = await post
      .save({ condition: new dynamoose.Condition('likes').eq(99), return: 'item' })
      .catch((e: unknown) => mapDynamooseError(e, { ...postErrors, operation: 'save' }));
    expect(saved).toBeInstanceOf(ConditionFailedError);
    expect((await Post.get({ userId: 'u1', postId: '001' })).likes).toBe(0);
  });

  it("maps Dynamoose's own schema errors to ValidationError naming the attribute, and its setup errors to InternalError", async () => {
    const invalid = await withDynamooseErrors({ ...postErrors, operation: 'create' }, () =>
      Post.create({ userId: 'u9', postId: '1', title: 'x', likes: 'many' as unknown as number }),
    ).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).issues[0]?.path).toEqual(['likes']);
    expect((invalid as ValidationError).message).not.toContain('many');
    const misuse = await withDynamooseErrors({ ...postErrors, operation: 'query' }, () =>
      Post.query('title').eq('x').exec(),
    ).catch((e: unknown) => e);
    expect(misuse).toBeInstanceOf(InternalError);
    expect((misuse as InternalError).code).toBe('internal.InvalidParameter');
    // AWS errors Dynamoose passes through get dbkit's DynamoDB mapping
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    expect(mapDynamooseError(throttle, { ...postErrors, operation: 'get' })).toBeInstanceOf(ThrottledError);
  });
});
