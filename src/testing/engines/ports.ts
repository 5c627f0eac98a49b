// Free TCP ports on the loopback interface, for engines that must not collide.
import { createServer, connect } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 and releases it at once.
 *
 * @example
 * ```ts
 * const port = await freePort(); // e.g. 41873
 * ```
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => {
        if (err !== undefined) reject(err);
        else if (port === 0) reject(new Error('could not obtain a free port'));
        else resolve(port);
      });
    });
  });
}

/**
 * Resolves true when something accepts TCP connections on `host:port` within `timeoutMs`.
 *
 * @example
 * ```ts
 * if (await isPortOpen(5432)) console.log('something listens on 5432');
 * ```
 */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}
