// The fault kit stays on this machine and validates its inputs: no engine needed.
import { describe, expect, it } from 'vitest';
import {
  NonLoopbackUpstreamError,
  seededRandom,
  startFaultProxy,
  startTcpProxy,
  throttleShare,
} from '../../../src/testing/index.js';

describe('loopback only', () => {
  it.each([
    '10.0.0.5:5432',
    'db.example.com:5432',
    '[2001:db8::1]:5432',
    '0.0.0.0:5432',
    'postgresql://app:secret@db.internal/app',
    'mongodb://127.0.0.1.nip.io:27017/',
  ])('refuses the TCP upstream %s', async (upstream) => {
    await expect(startTcpProxy({ upstream })).rejects.toBeInstanceOf(NonLoopbackUpstreamError);
  });

  it('refuses a non-loopback DynamoDB endpoint', async () => {
    const error: unknown = await startFaultProxy('https://dynamodb.us-east-1.amazonaws.com').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NonLoopbackUpstreamError);
    expect((error as NonLoopbackUpstreamError).upstream).toBe('https://dynamodb.us-east-1.amazonaws.com');
    expect((error as Error).message).toMatch(/loopback/);
  });

  it.each(['127.0.0.1:1', 'localhost:1', '[::1]:1', '127.8.9.10:1', 'postgresql://u:p@localhost/db'])(
    'accepts %s and listens on 127.0.0.1',
    async (upstream) => {
      const proxy = await startTcpProxy({ upstream });
      expect(proxy.host).toBe('127.0.0.1');
      await proxy.close();
    },
  );

  it('rejects a malformed upstream with a TypeError', async () => {
    await expect(startTcpProxy({ upstream: 'no-port' })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('url()', () => {
  it('points postgres and mongodb URLs at the proxy, keeping credentials and options', async () => {
    const proxy = await startTcpProxy({ upstream: { host: '127.0.0.1', port: 5432 } });
    try {
      const at = `127.0.0.1:${proxy.port}`;
      expect(proxy.url('postgresql://u:p%40ss@127.0.0.1:5432/app?sslmode=disable')).toBe(
        `postgresql://u:p%40ss@${at}/app?sslmode=disable`,
      );
      expect(proxy.url('mongodb://127.0.0.1:27017/')).toBe(`mongodb://${at}/?directConnection=true`);
      expect(proxy.url('mongodb://a:1,b:2/db?replicaSet=rs')).toBe(
        `mongodb://${at}/db?replicaSet=rs&directConnection=true`,
      );
      expect(() => proxy.url('mongodb+srv://cluster.example.com/db')).toThrow(TypeError);
    } finally {
      await proxy.close();
    }
  });
});

describe('rules', () => {
  it('seededRandom repeats its sequence for a seed', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const seq = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seq);
    expect(seq.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('throttleShare refuses a share outside 0..1 and never throttles unnamed operations', () => {
    expect(() => throttleShare(1.5)).toThrow(RangeError);
    const rule = throttleShare(1, { operations: ['PutItem'], error: 'ThrottlingException' });
    expect(rule('GetItem', {}, 1)).toEqual({ kind: 'forward' });
    expect(rule('PutItem', {}, 1)).toMatchObject({ kind: 'error', type: 'ThrottlingException' });
  });

  it('a TCP mode with invalid numbers is refused', async () => {
    const proxy = await startTcpProxy({ upstream: '127.0.0.1:1' });
    try {
      expect(() => {
        proxy.setMode({ kind: 'cutAfterBytes', bytes: -1 });
      }).toThrow(RangeError);
      expect(() => {
        proxy.setMode({ kind: 'cutShare', share: 2 });
      }).toThrow(RangeError);
    } finally {
      await proxy.close();
    }
  });
});
