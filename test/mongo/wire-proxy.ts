// A loopback proxy that reads the MongoDB wire protocol so a test can lose the answer to one chosen command after the server ran it.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What to do with one client command: forward it and its answer, or forward it and then close the
 * connection the moment the server answers, without passing on a byte of the answer (the server
 * has run the command; the client never learns it).
 *
 * @example
 * ```ts
 * const action: WireAction = 'loseReply';
 * ```
 */
export type WireAction = 'forward' | 'loseReply';

/**
 * Decides per command; `command` is the command's name (`insert`, `update`, `find`, ...), `n` counts it from 1.
 *
 * @example
 * ```ts
 * const everyThirdInsert: WireRule = (command, n) => (command === 'insert' && n % 3 === 0 ? 'loseReply' : 'forward');
 * ```
 */
export type WireRule = (command: string, n: number) => WireAction;

/**
 * A running wire proxy.
 *
 * @example
 * ```ts
 * const proxy: WireProxy = await startWireProxy('127.0.0.1:27017');
 * const uri = proxy.url('mongodb://127.0.0.1:27017/app');
 * ```
 */
export interface WireProxy {
  readonly port: number;
  /** `mongodb://host:port/...` pointed at the proxy. */
  url(original: string): string;
  setRule(rule: WireRule): void;
  /** How many replies were lost, per command name. */
  readonly lost: Map<string, number>;
  close(): Promise<void>;
}

const OP_MSG = 2013;

/**
 * The first key of an OP_MSG's body section: the command's name.
 *
 * @example
 * ```ts
 * commandName(firstMessageOf(socket)) // 'insert'
 * ```
 */
export function commandName(message: Buffer): string | undefined {
  if (message.length < 27 || message.readInt32LE(12) !== OP_MSG) return undefined;
  // header (16) + flagBits (4) + section kind 0 (1) + document length (4) + element type (1)
  if (message[20] !== 0) return undefined;
  const start = 26;
  const end = message.indexOf(0, start);
  return end > start ? message.toString('utf8', start, end) : undefined;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `upstream` (`host:port`). Commands are framed by the
 * message length in their header, so a rule sees each command once however TCP splits it.
 *
 * @example
 * ```ts
 * const proxy = await startWireProxy('127.0.0.1:27017');
 * proxy.setRule((command, n) => (command === 'insert' && n === 1 ? 'loseReply' : 'forward'));
 * ```
 */
export async function startWireProxy(upstream: string): Promise<WireProxy> {
  const [host = '127.0.0.1', portText = ''] = upstream.split(':');
  let rule: WireRule = () => 'forward';
  const counts = new Map<string, number>();
  const lost = new Map<string, number>();
  const sockets = new Set<Socket>();
  const own = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.setNoDelay(true);
  };
  const listener = createServer((client) => {
    own(client);
    const server = connect({ host, port: Number(portText) });
    own(server);
    let pending = Buffer.alloc(0);
    let losing: string | undefined;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const name = commandName(message);
        if (name !== undefined) {
          const n = (counts.get(name) ?? 0) + 1;
          counts.set(name, n);
          if (rule(name, n) === 'loseReply') losing = name;
        }
        server.write(message);
      }
    });
    server.on('data', (chunk: Buffer) => {
      if (losing !== undefined) {
        lost.set(losing, (lost.get(losing) ?? 0) + 1);
        losing = undefined;
        client.destroy();
        server.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  return {
    port,
    url: (original) => original.replace(/^(mongodb:\/\/(?:[^@/]*@)?)[^/?]+/, `$1127.0.0.1:${port}`),
    setRule(next) {
      rule = next;
    },
    lost,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        listener.close(() => {
          resolve();
        });
      }),
  };
}
