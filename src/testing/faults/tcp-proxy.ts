// A loopback TCP proxy in front of PostgreSQL or MongoDB simulating network faults: cuts, resets, black holes, refusals.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { LISTEN_HOST, loopbackHostPort } from './loopback.js';
import type { HostPort } from './loopback.js';
import { rewriteUrl } from './proxy-url.js';
import { assertShare } from './random.js';

/**
 * Which way bytes travel through the proxy.
 *
 * @example
 * ```ts
 * const direction: TcpDirection = 'clientToServer';
 * ```
 */
export type TcpDirection = 'serverToClient' | 'clientToServer';

/**
 * How the TCP proxy treats connections. Each mode stands for a production network failure:
 *
 * - `forward`: a healthy network. Switching back to it resumes black-holed connections.
 * - `cutAfterBytes`: forward, then close both sides once `bytes` more bytes have passed in
 *   `direction` (default `serverToClient`), counted per connection from when the mode is set: a
 *   connection dying mid-response (or mid-request), as when a server crashes or a NAT forgets it.
 * - `cutShare`: a `share` (0..1) of NEW connections is reset right after connecting (`at:
 *   'connect'`, the default) or closed after forwarding the client's first bytes (`at:
 *   'firstBytes'`): a flaky network or an overloaded server dropping connections. Pass a seeded
 *   `random` for a repeatable choice.
 * - `blackhole`: nothing is forwarded in either direction, on live connections too, and nothing
 *   is closed: a silent network (a partition, a dead host behind a firewall dropping packets).
 *   Only the client's own timeouts get it out. Bytes sent meanwhile are held, not lost, and flow
 *   again when the mode changes.
 * - `refuse`: new connections are reset at once: a database that is down or restarting.
 *
 * @example
 * ```ts
 * proxy.setMode({ kind: 'cutAfterBytes', bytes: 64, direction: 'serverToClient' });
 * proxy.setMode({ kind: 'cutShare', share: 0.3, random: seededRandom(1) });
 * proxy.setMode({ kind: 'blackhole' });
 * ```
 */
export type TcpFaultMode =
  | { readonly kind: 'forward' }
  | { readonly kind: 'cutAfterBytes'; readonly bytes: number; readonly direction?: TcpDirection }
  | {
      readonly kind: 'cutShare';
      readonly share: number;
      readonly random?: () => number;
      readonly at?: 'connect' | 'firstBytes';
    }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'refuse' };

/**
 * Options of {@link startTcpProxy}.
 *
 * @example
 * ```ts
 * const options: TcpProxyOptions = { upstream: '127.0.0.1:5432', mode: { kind: 'forward' } };
 * ```
 */
export interface TcpProxyOptions {
  /**
   * The engine to forward to, a loopback address only: `'host:port'`, `{ host, port }`, or the
   * engine's connection URL (`postgresql://…`, `mongodb://…`; its first host).
   */
  readonly upstream: string | { readonly host: string; readonly port: number };
  /** The starting mode (default `forward`). */
  readonly mode?: TcpFaultMode;
  /** The port to listen on (default: a free one). */
  readonly port?: number;
}

/**
 * A running TCP fault proxy on 127.0.0.1.
 *
 * @example
 * ```ts
 * const proxy: TcpProxy = await startTcpProxy({ upstream: '127.0.0.1:5432' });
 * const client = new pg.Client({ connectionString: proxy.url(databaseUrl) });
 * ```
 */
export interface TcpProxy {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** Live client connections (including ones held by `blackhole`). */
  readonly connections: number;
  /** `original` (a postgres://, mongodb:// or http:// URL) with its host:port pointing at the proxy. */
  url(original: string): string;
  /** Switches the mode; it applies to live connections as described in {@link TcpFaultMode}. */
  setMode(mode: TcpFaultMode): void;
  /** Resets every live connection now, as a network failure or a server restart does. */
  resetAll(): void;
  /** Stops listening and destroys every connection; black-holed clients see their connection close. */
  close(): Promise<void>;
}

/** One client connection and its upstream connection (absent while held by `blackhole`). */
interface Link {
  readonly client: Socket;
  server: Socket | undefined;
  passed: Record<TcpDirection, number>;
  /** Chosen by `cutShare` with `at: 'firstBytes'`. */
  doomed: boolean;
  done: boolean;
}

function checkMode(mode: TcpFaultMode): TcpFaultMode {
  if (mode.kind === 'cutAfterBytes' && !(Number.isInteger(mode.bytes) && mode.bytes >= 0))
    throw new RangeError(`cutAfterBytes: bytes must be a non-negative integer, got ${mode.bytes}`);
  if (mode.kind === 'cutShare') assertShare(mode.share, 'cutShare');
  return mode;
}

function kill(socket: Socket | undefined, reset: boolean): void {
  if (socket === undefined || socket.destroyed) return;
  if (reset) socket.resetAndDestroy();
  else socket.destroy();
}

/**
 * Starts a TCP proxy on 127.0.0.1 forwarding to a loopback `upstream` (else
 * {@link NonLoopbackUpstreamError}); put it between a driver and PostgreSQL or MongoDB and switch
 * modes to make the network fail. Nothing it holds keeps the process alive, and `close()`
 * destroys every connection it accepted or opened.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ upstream: { host: '127.0.0.1', port: 5432 } });
 * const pool = new pg.Pool({ connectionString: proxy.url(process.env.DATABASE_URL!) });
 * proxy.setMode({ kind: 'blackhole' }); // queries now hang until a timeout fires
 * await proxy.close();
 * ```
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const upstream: HostPort = loopbackHostPort(options.upstream);
  let mode = checkMode(options.mode ?? { kind: 'forward' });
  const links = new Set<Link>();
  // every socket the proxy owns, until it closes, so close() can reach the lingering ones too
  const sockets = new Set<Socket>();
  let closing = false;

  const own = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // a reset or a refused upstream ends the link through 'close'; the error itself is expected
    socket.on('error', () => undefined);
    // a proxy someone forgot to close must not keep the test process alive
    socket.unref();
    socket.setNoDelay(true);
  };

  const end = (link: Link, reset: boolean): void => {
    if (link.done) return;
    link.done = true;
    links.delete(link);
    kill(link.client, reset);
    kill(link.server, reset);
  };

  /** Forwards `part`, then closes both sides (a FIN, so the bytes before the cut still arrive). */
  const cut = (link: Link, from: Socket, to: Socket, part: Buffer): void => {
    link.done = true;
    links.delete(link);
    from.pause();
    kill(from, false);
    if (part.length === 0) kill(to, false);
    else
      to.write(part, () => {
        kill(to, false);
      });
  };

  const relay = (link: Link, from: Socket, to: Socket, direction: TcpDirection): void => {
    from.on('data', (chunk: Buffer) => {
      if (link.done) return;
      if (mode.kind === 'blackhole') {
        // held in the stream, not dropped: the protocol stays intact if the network comes back
        from.pause();
        from.unshift(chunk);
        return;
      }
      if (link.doomed && direction === 'clientToServer') {
        cut(link, from, to, chunk);
        return;
      }
      if (mode.kind === 'cutAfterBytes' && (mode.direction ?? 'serverToClient') === direction) {
        const left = mode.bytes - link.passed[direction];
        if (chunk.length >= left) {
          cut(link, from, to, chunk.subarray(0, Math.max(0, left)));
          return;
        }
      }
      link.passed[direction] += chunk.length;
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!link.done && mode.kind !== 'blackhole') from.resume();
    });
    // one side closed: finish writing what it sent, then close the other side too
    from.on('close', () => {
      if (link.done) return;
      link.done = true;
      links.delete(link);
      to.end();
    });
  };

  const open = (link: Link): void => {
    const server = connect({ host: upstream.host, port: upstream.port });
    own(server);
    link.server = server;
    relay(link, link.client, server, 'clientToServer');
    relay(link, server, link.client, 'serverToClient');
    link.client.resume();
  };

  /** Applies the mode to a connection not yet forwarded (new, or held by `blackhole`). */
  const admit = (link: Link): void => {
    switch (mode.kind) {
      case 'refuse':
        end(link, true);
        return;
      case 'blackhole':
        // no upstream connection yet: the engine sees nothing, as behind a silent network
        link.client.pause();
        return;
      case 'cutShare':
        if ((mode.random ?? Math.random)() < mode.share) {
          if ((mode.at ?? 'connect') === 'connect') {
            end(link, true);
            return;
          }
          link.doomed = true;
        }
        break;
      case 'forward':
      case 'cutAfterBytes':
        break;
    }
    open(link);
  };

  const listener = createServer({ pauseOnConnect: true }, (client) => {
    own(client);
    if (closing) {
      client.destroy();
      return;
    }
    const link: Link = {
      client,
      server: undefined,
      passed: { serverToClient: 0, clientToServer: 0 },
      doomed: false,
      done: false,
    };
    links.add(link);
    client.on('close', () => {
      if (link.server === undefined) end(link, false);
    });
    admit(link);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, LISTEN_HOST, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  listener.unref();
  const { port } = listener.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    host: LISTEN_HOST,
    port,
    get connections() {
      return links.size;
    },
    url: (original) => rewriteUrl(original, LISTEN_HOST, port),
    setMode(next) {
      mode = checkMode(next);
      for (const link of [...links]) {
        link.passed = { serverToClient: 0, clientToServer: 0 };
        if (mode.kind === 'blackhole') {
          link.client.pause();
          link.server?.pause();
        } else if (link.server === undefined) {
          admit(link);
        } else {
          if (!link.server.writableNeedDrain) link.client.resume();
          if (!link.client.writableNeedDrain) link.server.resume();
        }
      }
    },
    resetAll() {
      for (const link of [...links]) end(link, true);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        listener.close(() => {
          resolve();
        });
        for (const link of [...links]) end(link, false);
        for (const socket of [...sockets]) socket.destroy();
      });
      return closed;
    },
  };
}
