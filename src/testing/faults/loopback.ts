// Keeps the fault proxies on this machine: upstreams must be loopback addresses, listeners bind 127.0.0.1.
import { BlockList, isIP } from 'node:net';

/** The only address the fault proxies listen on. */
export const LISTEN_HOST = '127.0.0.1';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Thrown when a fault proxy is pointed at an upstream that is not a loopback address
 * (127.0.0.0/8, ::1 or `localhost`). The fault kit is for tests on this machine: it must never
 * sit in front of, or slow down, a shared or production database.
 *
 * @example
 * ```ts
 * try {
 *   await startTcpProxy({ upstream: 'db.example.com:5432' });
 * } catch (err) {
 *   if (err instanceof NonLoopbackUpstreamError) console.error(err.upstream);
 * }
 * ```
 */
export class NonLoopbackUpstreamError extends Error {
  override readonly name = 'NonLoopbackUpstreamError';
  constructor(
    /** The upstream as it was given. */
    readonly upstream: string,
  ) {
    super(
      `dbkit/testing fault proxies only forward to loopback upstreams (127.0.0.0/8, ::1, localhost); got ${upstream}`,
    );
  }
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (also bracketed, or IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** Host and port of a TCP upstream. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'mongodb:': 27017,
  'http:': 80,
  'https:': 443,
};

/** The first host of a connection URL, with the scheme's default port when none is given. */
function fromUrl(upstream: string): HostPort | undefined {
  const match = /^([a-z][a-z0-9+.-]*:)\/\/(?:[^/?#]*@)?(\[[^\]]+\]|[^:/?#,]+)(?::(\d+))?/i.exec(
    upstream.trim(),
  );
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const port = match[3] === undefined ? DEFAULT_PORTS[match[1].toLowerCase()] : Number(match[3]);
  return port === undefined ? undefined : { host: match[2].replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Parses `host:port`, `[::1]:port`, `{ host, port }` or a connection URL (`postgresql://`,
 * `mongodb://`, `http://`; its first host), refusing anything that is not loopback.
 */
export function loopbackHostPort(upstream: string | HostPort): HostPort {
  const given = typeof upstream === 'string' ? upstream : `${upstream.host}:${upstream.port}`;
  let parsed: HostPort | undefined;
  if (typeof upstream === 'string' && upstream.includes('://')) {
    parsed = fromUrl(upstream);
  } else if (typeof upstream === 'string') {
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(upstream.trim());
    if (match?.[1] !== undefined && match[2] !== undefined)
      parsed = { host: match[1].replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) };
  } else {
    parsed = { host: upstream.host.replace(/^\[(.*)\]$/, '$1'), port: upstream.port };
  }
  if (parsed === undefined || !Number.isInteger(parsed.port) || parsed.port <= 0 || parsed.port > 65535)
    throw new TypeError(
      `expected an upstream as 'host:port', a connection URL or { host, port }, got ${given}`,
    );
  if (!isLoopbackHost(parsed.host)) throw new NonLoopbackUpstreamError(given);
  return parsed;
}

/** Parses an http(s) endpoint URL, refusing anything that is not loopback. */
export function loopbackUrl(upstream: string): URL {
  let url: URL;
  try {
    url = new URL(upstream);
  } catch {
    throw new TypeError(`expected an upstream endpoint URL such as http://127.0.0.1:8000, got ${upstream}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`expected an http(s) upstream endpoint, got ${upstream}`);
  if (!isLoopbackHost(url.hostname)) throw new NonLoopbackUpstreamError(upstream);
  return url;
}
