// Empties a DynamoDB table without dropping it: a key-only scan, then batched deletes until nothing is left unprocessed.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Table } from '../../dynamo/table.js';

const BATCH = 25;

/**
 * Deletes every item of `table` (scan of the key attributes only, `BatchWriteItem` in 25s, unprocessed
 * items re-sent with a short backoff). Returns how many items were deleted. Meant for test tables:
 * it reads the whole table.
 *
 * @example
 * ```ts
 * const removed = await deleteAllItems(db.document, ctx.table(app));
 * ```
 */
export async function deleteAllItems(document: DynamoDBDocumentClient, table: Table): Promise<number> {
  const { BatchWriteCommand, ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const keyNames = table.sortKey === undefined ? [table.partitionKey] : [table.partitionKey, table.sortKey];
  const names = Object.fromEntries(keyNames.map((k, i) => [`#k${i}`, k]));
  let deleted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await document.send(
      new ScanCommand({
        TableName: table.name,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    const keys = (page.Items ?? []).map((item) => Object.fromEntries(keyNames.map((k) => [k, item[k]])));
    for (let i = 0; i < keys.length; i += BATCH) {
      let requests = keys.slice(i, i + BATCH).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(20 * 2 ** attempt, 500)));
        if (attempt > 10) throw new Error(`dbkit: could not empty ${table.name}: items stayed unprocessed`);
        const out = await document.send(new BatchWriteCommand({ RequestItems: { [table.name]: requests } }));
        requests = (out.UnprocessedItems?.[table.name] ?? []).flatMap((r) =>
          r.DeleteRequest?.Key === undefined ? [] : [{ DeleteRequest: { Key: r.DeleteRequest.Key } }],
        );
      }
      deleted += Math.min(BATCH, keys.length - i);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return deleted;
}
