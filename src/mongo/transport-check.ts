// Says when a connection string would send credentials or data in the clear to a host beyond this machine.
import type { MongoClientOptions } from 'mongodb';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

function hostsOf(uri: string): string[] {
  const authority = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1] ?? '';
  return authority
    .split(',')
    .map((h) => h.replace(/:\d+$/, '').trim())
    .filter((h) => h.length > 0);
}

function flag(query: URLSearchParams, names: readonly string[]): boolean | undefined {
  for (const name of names) {
    const v = query.get(name);
    if (v !== null) return v.toLowerCase() === 'true';
  }
  return undefined;
}

/**
 * Why connecting with `uri` and `options` is unsafe outside loopback, or `undefined` when it is
 * fine: TLS off on a remote host (SRV strings default to TLS on), or no credentials at all (no user
 * in the string, no `auth`, no X.509 / AWS / OIDC mechanism). Never includes the credentials.
 *
 * @example
 * ```ts
 * insecureTransport('mongodb://db.internal:27017/app') // 'no TLS and no credentials for db.internal'
 * insecureTransport('mongodb://127.0.0.1:27017/app')   // undefined: loopback
 * ```
 */
export function insecureTransport(uri: string, options: MongoClientOptions = {}): string | undefined {
  const remote = hostsOf(uri).filter((h) => !LOOPBACK.test(h));
  if (remote.length === 0) return undefined;
  const query = new URLSearchParams(uri.split('?')[1] ?? '');
  const srv = uri.startsWith('mongodb+srv://');
  const tls = options.tls ?? options.ssl ?? flag(query, ['tls', 'ssl']) ?? srv;
  const mechanism = options.authMechanism ?? query.get('authMechanism') ?? undefined;
  const credentials =
    /^mongodb(?:\+srv)?:\/\/[^@/]+@/.test(uri) ||
    options.auth !== undefined ||
    (mechanism !== undefined && /^(MONGODB-X509|MONGODB-AWS|MONGODB-OIDC|GSSAPI)$/i.test(mechanism));
  const missing = [tls ? undefined : 'no TLS', credentials ? undefined : 'no credentials'].filter(
    (m): m is string => m !== undefined,
  );
  return missing.length === 0 ? undefined : `${missing.join(' and ')} for ${remote.join(', ')}`;
}
