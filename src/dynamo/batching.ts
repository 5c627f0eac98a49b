// Helpers shared by batch operations: chunking, bounded concurrency and a stable identity for keys.

/**
 * Splits a list into chunks of at most `size`.
 *
 * @example
 * ```ts
 * chunk([1, 2, 3], 2) // [[1, 2], [3]]
 * ```
 */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `fn` over `items` with at most `concurrency` in flight; rejects with the first failure after
 * the in-flight calls settle.
 *
 * @example
 * ```ts
 * const results = await mapConcurrent(chunks, 4, (c) => send(c))
 * ```
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/**
 * A stable identity for a key within a table: attribute names sorted, values as JSON.
 *
 * @example
 * ```ts
 * keyId('app', { sk: 'PROFILE', pk: 'USER#1' }) === keyId('app', { pk: 'USER#1', sk: 'PROFILE' }) // true
 * ```
 */
export function keyId(table: string, key: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(key).sort();
  let out = table;
  for (const name of names) out += `\u0000${name}\u0000${JSON.stringify(key[name])}`;
  return out;
}

/** Picks the named attributes of an item (its key). */
export function pick(
  item: Readonly<Record<string, unknown>>,
  names: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = item[name];
  return out;
}
