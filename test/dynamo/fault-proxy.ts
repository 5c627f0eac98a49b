// A loopback HTTP proxy in front of DynamoDB Local that injects what Local never does: throttling, unprocessed batch items, transaction conflicts.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type FaultAction =
  | { kind: 'forward' }
  /** Answer with an AWS JSON error (HTTP 400) without reaching DynamoDB. */
  | { kind: 'error'; type: string; message?: string; extra?: Record<string, unknown> }
  /** Forward a BatchWriteItem / BatchGetItem without the listed request indexes, and report them as unprocessed. */
  | { kind: 'withhold'; pick: (count: number) => number[] };

/** Decides per request: `operation` is the X-Amz-Target action (e.g. `BatchWriteItem`), `n` counts calls of that operation from 1. */
export type FaultRule = (operation: string, body: Record<string, unknown>, n: number) => FaultAction;

export interface FaultProxy {
  readonly endpoint: string;
  /** Requests seen per operation. */
  readonly calls: Map<string, number>;
  setRule(rule: FaultRule): void;
  close(): Promise<void>;
}

const forward: FaultRule = () => ({ kind: 'forward' });

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

type Json = Record<string, unknown>;

function splitBatch(
  operation: string,
  body: Json,
  pick: (count: number) => number[],
): { sent: Json; withheld: Json } {
  const requestItems = body.RequestItems as Record<string, unknown>;
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
  const wrap = (groups: Record<string, unknown[]>): Json => {
    if (operation === 'BatchWriteItem') return groups;
    const out: Json = {};
    for (const [table, keys] of Object.entries(groups))
      out[table] = { ...(requestItems[table] as Json), Keys: keys };
    return out;
  };
  return { sent: { ...body, RequestItems: wrap(sent) }, withheld: wrap(held) };
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `upstream` (DynamoDB Local).
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(endpoint)
 * proxy.setRule((op, _b, n) => (op === 'PutItem' && n <= 2 ? { kind: 'error', type: 'ThrottlingException' } : { kind: 'forward' }))
 * ```
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  let rule: FaultRule = forward;
  const calls = new Map<string, number>();

  const send = async (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Headers; text: string }> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection')
        headers[k] = v;
    }
    const res = await fetch(new URL(req.url ?? '/', upstream), {
      method: req.method ?? 'POST',
      headers,
      body,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  const reply = (
    res: ServerResponse,
    status: number,
    text: string,
    requestId = 'dbkit-fault-proxy',
  ): void => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const n = (calls.get(operation) ?? 0) + 1;
      calls.set(operation, n);
      const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Json) : {};
      const action = rule(operation, body, n);
      if (action.kind === 'error') {
        reply(
          res,
          400,
          JSON.stringify({
            __type: `com.amazonaws.dynamodb.v20120810#${action.type}`,
            message: action.message ?? action.type,
            ...action.extra,
          }),
        );
        return;
      }
      if (action.kind === 'withhold' && (operation === 'BatchWriteItem' || operation === 'BatchGetItem')) {
        const { sent, withheld } = splitBatch(operation, body, action.pick);
        const sentCount = Object.keys(sent.RequestItems as Json).length;
        let out: Json =
          operation === 'BatchWriteItem' ? { UnprocessedItems: {} } : { Responses: {}, UnprocessedKeys: {} };
        if (sentCount > 0) {
          const upstreamRes = await send(req, Buffer.from(JSON.stringify(sent)));
          out = JSON.parse(upstreamRes.text) as Json;
        }
        out[operation === 'BatchWriteItem' ? 'UnprocessedItems' : 'UnprocessedKeys'] = withheld;
        reply(res, 200, JSON.stringify(out));
        return;
      }
      const upstreamRes = await send(req, raw);
      const headers: Record<string, string> = {};
      upstreamRes.headers.forEach((v, k) => {
        if (
          k !== 'content-length' &&
          k !== 'transfer-encoding' &&
          k !== 'connection' &&
          k !== 'content-encoding'
        )
          headers[k] = v;
      });
      res.writeHead(upstreamRes.status, {
        ...headers,
        'content-length': Buffer.byteLength(upstreamRes.text),
      });
      res.end(upstreamRes.text);
    })().catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    setRule(next) {
      rule = next;
      calls.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
