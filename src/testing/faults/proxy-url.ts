// Rewrites a connection URL so a driver connects through a local proxy instead of the engine.

/**
 * Replaces the host list of `original` (any `scheme://` URL: postgres, mongodb, http) by
 * `host:port`, keeping credentials, database, path and options. A `mongodb://` URL also gets
 * `directConnection=true` unless it chooses otherwise, because a driver that discovers a replica
 * set would connect to the members' advertised addresses and bypass the proxy.
 */
export function rewriteUrl(original: string, host: string, port: number): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^/?#]*)(.*)$/i.exec(original);
  if (match === null)
    throw new TypeError(`expected a URL such as postgresql://user@host:5432/db, got ${original}`);
  const [, scheme = '', userinfo = '', , rest = ''] = match;
  if (scheme.toLowerCase() === 'mongodb+srv://')
    throw new TypeError(
      'a mongodb+srv:// URL finds its hosts through DNS and cannot be proxied; use mongodb://',
    );
  let tail = rest;
  if (scheme.toLowerCase() === 'mongodb://') {
    const hashAt = tail.indexOf('#');
    const hash = hashAt === -1 ? '' : tail.slice(hashAt);
    let query = hashAt === -1 ? tail : tail.slice(0, hashAt);
    if (!/[?&](directConnection|loadBalanced)=/i.test(query)) {
      const sep = query.includes('?') ? '&' : query === '' ? '/?' : '?';
      query = `${query}${sep}directConnection=true`;
    }
    tail = `${query}${hash}`;
  }
  return `${scheme}${userinfo}${host}:${port}${tail}`;
}
