// Tells a network failure before the request left (nothing applied) from one after it may have reached the server.
import { MongoError } from 'mongodb';
import type { MongoNetworkError } from 'mongodb';

/**
 * @internal Socket errors raised while opening a connection: nothing was sent on it yet.
 *
 * @example
 * ```ts
 * CONNECT_ERRNO.has('ECONNREFUSED') // true
 * ```
 */
export const CONNECT_ERRNO = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * @internal True when a network error happened while a connection was being opened (refused, DNS,
 * the handshake) or before the operation got one: it was never sent, so the server did not apply it.
 *
 * @example
 * ```ts
 * beforeSend(new MongoNetworkError('connect ECONNREFUSED', { cause: refused })) // true (cause.code ECONNREFUSED)
 * ```
 */
export function beforeSend(err: MongoNetworkError): boolean {
  if ((err as { beforeHandshake?: unknown }).beforeHandshake === true) return true;
  // The driver labels a connection that failed while opening as overload backpressure.
  if (err.hasErrorLabel('HandshakeError') || err.hasErrorLabel('SystemOverloadedError')) return true;
  // The pool was cleared while the operation waited for a connection: it never got one. (Not
  // PoolClearedOnNetworkError: that one interrupts operations already in flight.)
  if (err.name === 'MongoPoolClearedError') return true;
  const errno = (err.cause as { code?: unknown } | undefined)?.code;
  if (typeof errno === 'string' && CONNECT_ERRNO.has(errno)) return true;
  return /during connection establishment|connection establishment was cancelled|Socket 'connect' timed out|Socket 'secureConnect' timed out/.test(
    err.message,
  );
}

const SOCKET_ERRNO = new Set([...CONNECT_ERRNO, 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/**
 * @internal A Node socket error (`write ECONNRESET`), which the driver sometimes rethrows unwrapped.
 *
 * @example
 * ```ts
 * systemError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' })) // { code: 'EPIPE', syscall: 'write' }
 * ```
 */
export function systemError(err: unknown): { code: string; syscall: string | undefined } | undefined {
  if (!(err instanceof Error) || err instanceof MongoError) return undefined;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || !SOCKET_ERRNO.has(code)) return undefined;
  return { code, syscall: typeof syscall === 'string' ? syscall : undefined };
}
