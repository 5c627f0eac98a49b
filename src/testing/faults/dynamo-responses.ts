// The DynamoDB JSON bodies the fault proxy fabricates: AWS errors, transaction cancellations, split batches.

type Json = Record<string, unknown>;

const PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** The HTTP status DynamoDB uses for an error code when the rule does not choose one. */
export function defaultStatus(type: string): 400 | 500 | 503 {
  if (type === 'InternalServerError') return 500;
  if (type === 'ServiceUnavailable' || type === 'ServiceUnavailableException') return 503;
  return 400;
}

/** An AWS JSON 1.0 error body, as the SDK parses it (`__type` names the exception). */
export function awsErrorBody(type: string, message?: string, extra?: Readonly<Json>): string {
  return JSON.stringify({ __type: `${PREFIX}${type}`, message: message ?? type, ...extra });
}

/** A TransactionCanceledException naming `code` at the `conflicts` indexes and `None` elsewhere. */
export function cancellationBody(body: Readonly<Json>, conflicts: readonly number[], code: string): string {
  const items = body['TransactItems'];
  const count = Array.isArray(items) ? items.length : Math.max(0, ...conflicts.map((i) => i + 1));
  const marked = new Set(conflicts);
  const codes = Array.from({ length: count }, (_, i) => (marked.has(i) ? code : 'None'));
  return awsErrorBody(
    'TransactionCanceledException',
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    {
      CancellationReasons: codes.map((c) =>
        c === 'TransactionConflict'
          ? { Code: c, Message: 'Transaction is ongoing for the item' }
          : { Code: c },
      ),
    },
  );
}

/**
 * Splits a BatchWriteItem / BatchGetItem into the request to forward and the withheld part,
 * shaped as the response's UnprocessedItems / UnprocessedKeys.
 */
export function splitBatch(
  operation: 'BatchWriteItem' | 'BatchGetItem',
  body: Readonly<Json>,
  pick: (count: number) => readonly number[],
): { sent: Json; withheld: Json; sentCount: number } {
  const requestItems = (body['RequestItems'] ?? {}) as Record<string, unknown>;
  const flat: { table: string; entry: unknown }[] = [];
  for (const [table, value] of Object.entries(requestItems)) {
    const entries =
      operation === 'BatchWriteItem' ? (value as unknown[]) : (value as { Keys: unknown[] }).Keys;
    for (const entry of entries) flat.push({ table, entry });
  }
  const withheldIdx = new Set(pick(flat.length));
  const sent: Record<string, unknown[]> = {};
  const held: Record<string, unknown[]> = {};
  flat.forEach(({ table, entry }, i) => {
    const target = withheldIdx.has(i) ? held : sent;
    (target[table] ??= []).push(entry);
  });
  // BatchGetItem keeps each table's projection and consistency options beside its Keys.
  const wrap = (groups: Record<string, unknown[]>): Json => {
    if (operation === 'BatchWriteItem') return groups;
    const out: Json = {};
    for (const [table, keys] of Object.entries(groups))
      out[table] = { ...(requestItems[table] as Json), Keys: keys };
    return out;
  };
  return {
    sent: { ...body, RequestItems: wrap(sent) },
    withheld: wrap(held),
    sentCount: Object.keys(sent).length,
  };
}
