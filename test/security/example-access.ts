// The example service's DynamoDB declarations as an IAM generator reads them: tables, key templates and the operations it uses.
import { model } from '../../examples/service/stores/dynamo-store.js';
import { entityAccess } from '../../src/dynamo/iam-policy.js';
import type { EntityAccess } from '../../src/dynamo/iam-policy.js';

/** The example store's own model: the policy is generated from what the store declares. */
export const exampleModel = model;

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
