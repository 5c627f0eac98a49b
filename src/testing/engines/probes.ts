// Protocol-level health probes: PostgreSQL startup, MongoDB OP_MSG ping, DynamoDB ListTables.
import { connect } from 'node:net';

/**
 * Host and port of the first server named in a connection URL, or undefined when the URL names
 * none this probe can reach directly (for example `mongodb+srv://`).
 *
 * @example
 * ```ts
 * firstHostPort('mongodb://u:p@a:27018,b:27019/db', 27017); // { host: 'a', port: 27018 }
 * ```
 */
export function firstHostPort(url: string, defaultPort: number): { host: string; port: number } | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/?#]*)/i.exec(url);
  if (match === null || (match[1] ?? '').endsWith('+srv')) return undefined;
  const first = (match[2] ?? '').split(',')[0] ?? '';
  const hostPort = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(first);
  if (hostPort === null) return undefined;
  const host = (hostPort[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { host, port: hostPort[2] === undefined ? defaultPort : Number(hostPort[2]) };
}

/** Writes `request` to host:port and resolves with the bytes read once `enough` says so. */
function exchange(
  host: string,
  port: number,
  request: Buffer,
  enough: (received: Buffer) => boolean,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (result: Buffer | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => {
      finish(undefined);
    });
    socket.once('error', () => {
      finish(undefined);
    });
    socket.once('close', () => {
      finish(received.length > 0 ? received : undefined);
    });
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (enough(received)) finish(received);
    });
  });
}

/**
 * True when a PostgreSQL server at `url` accepts a startup message (asks for authentication or
 * reports an error other than "starting up").
 *
 * @example
 * ```ts
 * await probePostgres('postgresql://postgres@127.0.0.1:5432/postgres', 1000);
 * ```
 */
export async function probePostgres(url: string, timeoutMs: number): Promise<boolean> {
  const target = firstHostPort(url, 5432);
  if (target === undefined) return false;
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const user = decodeURIComponent(parsed?.username ?? '') || 'postgres';
  const database = decodeURIComponent(parsed?.pathname.slice(1) ?? '') || user;
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const request = Buffer.alloc(8 + params.length);
  request.writeInt32BE(request.length, 0);
  request.writeInt32BE(196608, 4);
  params.copy(request, 8);
  const reply = await exchange(target.host, target.port, request, (b) => b.length >= 5, timeoutMs);
  if (reply === undefined) return false;
  const kind = String.fromCharCode(reply[0] ?? 0);
  if (kind === 'R') return true;
  return kind === 'E' && !reply.toString('latin1').includes('57P03');
}

/** BSON for `{ ping: 1, $db: 'admin' }`. */
function pingDocument(): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x10]),
    Buffer.from('ping\0'),
    int32(1),
    Buffer.from([0x02]),
    Buffer.from('$db\0'),
    int32(6),
    Buffer.from('admin\0'),
    Buffer.from([0x00]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value, 0);
  return buffer;
}

/**
 * True when a MongoDB wire-protocol server at `url` answers an OP_MSG `ping`.
 *
 * @example
 * ```ts
 * await probeMongo('mongodb://127.0.0.1:27017/', 1000);
 * ```
 */
export async function probeMongo(url: string, timeoutMs: number): Promise<boolean> {
  const target = firstHostPort(url, 27017);
  if (target === undefined) return true; // SRV records: nothing to probe directly; the driver will tell
  const doc = pingDocument();
  const header = Buffer.concat([int32(16 + 4 + 1 + doc.length), int32(1), int32(0), int32(2013)]);
  const request = Buffer.concat([header, int32(0), Buffer.from([0]), doc]);
  const complete = (b: Buffer): boolean => b.length >= 16 && b.length >= b.readInt32LE(0);
  const reply = await exchange(target.host, target.port, request, complete, timeoutMs);
  return reply !== undefined && complete(reply) && reply.readInt32LE(12) === 2013;
}

/**
 * True when a DynamoDB endpoint answers `ListTables` like DynamoDB does (a table list, or a typed
 * error such as a rejected signature: dummy credentials are sent, which DynamoDB Local accepts).
 *
 * @example
 * ```ts
 * await probeDynamo('http://127.0.0.1:8000', 1000);
 * ```
 */
export async function probeDynamo(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=dbkit/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
    });
    const text = await response.text();
    return text.includes('TableNames') || text.includes('__type');
  } catch {
    return false;
  }
}
