// Deterministic JSON for hashing: object keys sorted, Dates as ISO strings, bigints as strings.

/**
 * Serialises a value with object keys in sorted order, so equal queries hash equally whatever
 * order their keys were written in. `undefined` members are left out, as JSON does.
 *
 * @example
 * ```ts
 * stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(normalise(value, new WeakSet()));
}

function normalise(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return `${value.toString()}n`;
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    return value;
  }
  if (value instanceof Date) return { $date: value.toISOString() };
  if (seen.has(value)) throw new TypeError('stableStringify: circular structure');
  seen.add(value);
  try {
    return normaliseObject(value, seen);
  } finally {
    seen.delete(value);
  }
}

function normaliseObject(value: object, seen: WeakSet<object>): unknown {
  if (Array.isArray(value)) return value.map((v: unknown) => normalise(v, seen) ?? null);
  if (ArrayBuffer.isView(value))
    return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return normalise((toJSON as () => unknown).call(value), seen);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = normalise((value as Record<string, unknown>)[key], seen);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
