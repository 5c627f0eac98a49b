// The example service's DynamoDB declarations as an IAM generator reads them: tables, key templates and the operations it uses.
import { z } from 'zod';
import { defineEntity } from '../../src/dynamo/entity.js';
import { entityAccess } from '../../src/dynamo/iam-policy.js';
import type { EntityAccess } from '../../src/dynamo/iam-policy.js';
import { defineTable } from '../../src/dynamo/table.js';

/**
 * Mirrors `model()` in examples/service/stores/dynamo-store.ts (not exported there): the same table,
 * index and key templates. Only keys matter to IAM, so schemas hold just the key attributes. If the
 * store starts sending something not declared here, the recorded-requests test fails: that is the
 * point.
 */
export function exampleModel(tableName: string) {
  const s = z.string();
  const table = defineTable({
    name: tableName,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
    ttlAttribute: 'ttl',
  });
  return {
    table,
    user: defineEntity(table, {
      name: 'User',
      schema: z.object({ id: s, email: s }),
      key: { pk: 'USER#{id}', sk: 'PROFILE' },
      indexes: { gsi1: { pk: 'EMAIL#{email}', sk: 'USER' } },
    }),
    emailClaim: defineEntity(table, {
      name: 'EmailClaim',
      schema: z.object({ email: s }),
      key: { pk: 'EMAIL#{email}', sk: 'CLAIM' },
    }),
    post: defineEntity(table, {
      name: 'Post',
      schema: z.object({ id: s, authorId: s, postedAt: s }),
      key: { pk: 'POST#{id}', sk: 'POST' },
      indexes: { gsi1: { pk: 'AUTHOR#{authorId}', sk: 'POST#{postedAt}#{id}' } },
    }),
    comment: defineEntity(table, {
      name: 'Comment',
      schema: z.object({ id: s, postId: s, postedAt: s }),
      key: { pk: 'POST#{postId}', sk: 'COMMENT#{postedAt}#{id}' },
    }),
    authorStats: defineEntity(table, {
      name: 'AuthorStats',
      schema: z.object({ authorId: s }),
      key: { pk: 'LEADERBOARD', sk: 'AUTHOR#{authorId}' },
    }),
    account: defineEntity(table, {
      name: 'Account',
      schema: z.object({ id: s }),
      key: { pk: 'ACCOUNT#{id}', sk: 'ACCOUNT' },
    }),
    transfer: defineEntity(table, {
      name: 'Transfer',
      schema: z.object({ idempotencyKey: s }),
      key: { pk: 'TRANSFER#{idempotencyKey}', sk: 'TRANSFER' },
    }),
    session: defineEntity(table, {
      name: 'Session',
      schema: z.object({ token: s }),
      key: { pk: 'SESSION#{token}', sk: 'SESSION' },
    }),
  };
}

/** What the example service does with each entity (read off dynamo-store.ts). */
export function exampleAccess(tableName: string): EntityAccess[] {
  const m = exampleModel(tableName);
  return [
    // createUser: tx.create; updateUser: update, or tx.update with the email claim moved.
    entityAccess(m.user, ['get', 'create', 'update']),
    // Uniqueness claim: created and deleted inside transactions, read by getUserByEmail.
    entityAccess(m.emailClaim, ['get', 'create', 'delete']),
    // likePost is an update; posts by author query the overloaded GSI.
    entityAccess(m.post, ['get', 'create', 'update', 'query:gsi1']),
    entityAccess(m.comment, ['create', 'query']),
    // Counters upserted in the publishing transaction; the report queries their partition.
    entityAccess(m.authorStats, ['update', 'query']),
    entityAccess(m.account, ['get', 'create', 'update']),
    entityAccess(m.transfer, ['get', 'create']),
    entityAccess(m.session, ['get', 'create']),
  ];
}
