// A minimal loopback TCP proxy in front of PostgreSQL for the Prisma reliability tests: forward, black-hole, or cut a connection after a chosen statement.
import net from 'node:net';

/** How the proxy treats traffic from now on. */
export type ProxyMode =
  /** Pass everything through. */
  | 'forward'
  /** Accept connections but pass nothing either way (new and live connections stall, no error). */
  | 'blackhole';

/**
 * Decides, for a client→server chunk containing a statement, whether to cut the connection and when:
 * `before` drops the statement unsent; `after` lets it reach the server, waits for the server's
 * answer (it was executed, and committed when autocommit) and drops the answer with the connection;
 * `hold` drops the statement silently and turns the whole proxy into a black hole.
 */
export type CutRule = (sql: string) => 'before' | 'after' | 'hold' | undefined;

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Rewrites a postgres URL to go through the proxy. */
  url(target: string): string;
  setMode(mode: ProxyMode): void;
  /** Cuts connections per `rule` (undefined: never). */
  setCutRule(rule: CutRule | undefined): void;
  /** Breaks every live connection (a stalled client then fails at once instead of waiting). */
  dropAll(): void;
  /** How many connections were cut before / after their statement reached the server. */
  readonly cuts: { before: number; after: number };
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `upstreamPort` (also on 127.0.0.1).
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy(5432);
 * const pool = new pg.Pool({ connectionString: proxy.url(db.url) });
 * proxy.setMode('blackhole');
 * ```
 */
export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  let rule: CutRule | undefined;
  const sockets = new Set<net.Socket>();
  const cuts = { before: 0, after: 0 };

  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    // Set once a statement was forwarded and the connection must die when its answer arrives.
    let cutOnAnswer = false;
    const destroy = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', destroy).on('close', destroy);
    upstream.on('error', destroy).on('close', destroy);
    client.on('data', (chunk: Buffer) => {
      if (mode === 'blackhole' || client.destroyed) return;
      // The extended protocol's Parse message carries the SQL text in clear.
      const decision = rule?.(chunk.toString('latin1'));
      if (decision === 'before') {
        cuts.before += 1;
        destroy();
        return;
      }
      if (decision === 'hold') {
        mode = 'blackhole';
        return;
      }
      if (decision === 'after') cutOnAnswer = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'blackhole') return;
      if (cutOnAnswer) {
        cuts.after += 1;
        destroy();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cuts,
    url(target) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    setMode(next) {
      mode = next;
    },
    setCutRule(next) {
      rule = next;
    },
    dropAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
