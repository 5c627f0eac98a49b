// A loopback HTTP proxy in front of DynamoDB (Local) injecting what Local never does: throttling, lost answers, hangs, conflicts.
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsErrorBody, cancellationBody, defaultStatus, splitBatch } from './dynamo-responses.js';
import type { FaultAction, FaultRule } from './dynamo-rules.js';
import { LISTEN_HOST, loopbackUrl } from './loopback.js';

type Json = Record<string, unknown>;

/**
 * A running DynamoDB fault proxy. Point a DynamoDB client's `endpoint` at `endpoint`.
 *
 * @example
 * ```ts
 * const proxy: FaultProxy = await startFaultProxy('http://127.0.0.1:8000');
 * const client = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'local', maxAttempts: 1 });
 * ```
 */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Requests seen per operation since the rule was set. */
  readonly calls: ReadonlyMap<string, number>;
  /**
   * Per operation, how many `applyThenLose` requests DynamoDB accepted (2xx) before the proxy lost
   * the answer: the writes that really happened although the client saw a failure.
   */
  readonly applied: ReadonlyMap<string, number>;
  /** Replaces the rule and resets `calls` and `applied`. */
  setRule(rule: FaultRule): void;
  /** Stops listening, drops every connection (releasing `hang` and `delay` requests) and stops timers. */
  close(): Promise<void>;
}

const forwardAll: FaultRule = () => ({ kind: 'forward' });

const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'content-encoding', 'host']);

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

function parseJson(raw: Buffer): Json {
  if (raw.length === 0) return {};
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Json) : {};
  } catch {
    // forwarded as is, so DynamoDB answers the malformed request itself
    return {};
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': 'dbkit-fault-proxy',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Drops the client connection with a TCP reset: the client sees ECONNRESET, never a response. */
function drop(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) return;
  if (socket.destroyed) return;
  socket.resetAndDestroy();
}

function bump(counts: Map<string, number>, key: string): number {
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  return n;
}

/**
 * Starts a DynamoDB fault proxy on 127.0.0.1 (a free port) forwarding to `upstream`, which must be
 * a loopback endpoint (else {@link NonLoopbackUpstreamError}). Every request goes through the
 * current {@link FaultRule}; the default forwards everything. Nothing it holds keeps the process
 * alive, and `close()` releases all of it.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(dynamoEndpoint);
 * proxy.setRule((op) => (op === 'PutItem' ? { kind: 'applyThenLose' } : { kind: 'forward' }));
 * // ... run the code under test against proxy.endpoint ...
 * expect(proxy.applied.get('PutItem')).toBe(1);
 * await proxy.close();
 * ```
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const base = loopbackUrl(upstream);
  let rule: FaultRule = forwardAll;
  const calls = new Map<string, number>();
  const applied = new Map<string, number>();
  // aborts in-flight upstream requests and pending delays when the proxy closes
  const closing = new AbortController();
  // every in-flight request and delay listens to it; many at once is expected, not a leak
  setMaxListeners(Infinity, closing.signal);

  const wait = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (closing.signal.aborted) {
        resolve(false);
        return;
      }
      const cancel = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        closing.signal.removeEventListener('abort', cancel);
        resolve(true);
      }, ms);
      timer.unref();
      closing.signal.addEventListener('abort', cancel, { once: true });
    });

  const send = async (req: IncomingMessage, body: Buffer | string) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    const res = await fetch(new URL(req.url ?? '/', base), {
      method: req.method ?? 'POST',
      headers,
      body,
      signal: closing.signal,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  const relay = async (req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> => {
    const upstreamRes = await send(req, raw);
    const headers: Record<string, string> = {};
    upstreamRes.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k)) headers[k] = v;
    });
    res.writeHead(upstreamRes.status, { ...headers, 'content-length': Buffer.byteLength(upstreamRes.text) });
    res.end(upstreamRes.text);
  };

  const act = async (
    action: FaultAction,
    operation: string,
    body: Json,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
  ): Promise<void> => {
    switch (action.kind) {
      case 'forward':
        return relay(req, res, raw);
      case 'error':
        reply(
          res,
          action.status ?? defaultStatus(action.type),
          awsErrorBody(action.type, action.message, action.extra),
        );
        return;
      case 'cancelTransaction':
        reply(res, 400, cancellationBody(body, action.conflicts, action.code ?? 'TransactionConflict'));
        return;
      case 'reset':
        drop(res);
        return;
      case 'hang':
        // never answered; close() destroys the connection
        return;
      case 'delay':
        if (await wait(action.ms)) return relay(req, res, raw);
        drop(res);
        return;
      case 'applyThenLose': {
        const upstreamRes = await send(req, raw);
        if (upstreamRes.status >= 200 && upstreamRes.status < 300) bump(applied, operation);
        if (action.as === 'reset') drop(res);
        else reply(res, 500, awsErrorBody('InternalServerError', 'Internal server error'));
        return;
      }
      case 'withhold': {
        if (operation !== 'BatchWriteItem' && operation !== 'BatchGetItem') return relay(req, res, raw);
        const { sent, withheld, sentCount } = splitBatch(operation, body, action.pick);
        const unprocessed = operation === 'BatchWriteItem' ? 'UnprocessedItems' : 'UnprocessedKeys';
        let out: Json = operation === 'BatchWriteItem' ? {} : { Responses: {} };
        if (sentCount > 0) out = parseJson(Buffer.from((await send(req, JSON.stringify(sent))).text));
        out[unprocessed] = withheld;
        reply(res, 200, JSON.stringify(out));
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const n = bump(calls, operation);
      const body = parseJson(raw);
      await act(rule(operation, body, n), operation, body, req, res, raw);
    })().catch((err: unknown) => {
      if (closing.signal.aborted || res.headersSent) {
        drop(res);
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`dbkit fault proxy: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  // a proxy someone forgot to close must not keep the test process alive
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LISTEN_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://${LISTEN_HOST}:${port}`,
    calls,
    applied,
    setRule(next) {
      rule = next;
      calls.clear();
      applied.clear();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
