// Unit tests for free ports, TCP checks and the protocol probes against closed or fake servers.
import { createServer } from 'node:http';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, isPortOpen } from '../../src/testing/engines/ports.js';
import { firstHostPort, probeDynamo, probeMongo, probePostgres } from '../../src/testing/engines/probes.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('freePort / isPortOpen', () => {
  it('returns a port nothing listens on, which can then be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortOpen(port)).toBe(false);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(await isPortOpen(port)).toBe(true);
  });

  it('hands out different ports to concurrent callers', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    expect(new Set(ports).size).toBe(4);
  });
});

describe('firstHostPort', () => {
  it.each([
    ['mongodb://127.0.0.1:27018/', { host: '127.0.0.1', port: 27018 }],
    ['mongodb://u:p@a.example:1,b.example:2/db?replicaSet=rs', { host: 'a.example', port: 1 }],
    ['postgresql://postgres@localhost/postgres', { host: 'localhost', port: 5432 }],
    ['http://[::1]:8000', { host: '::1', port: 8000 }],
  ])('%s', (url, expected) => {
    expect(firstHostPort(url, url.startsWith('postgres') ? 5432 : 27017)).toEqual(expected);
  });

  it('gives up on SRV URLs', () => {
    expect(firstHostPort('mongodb+srv://cluster.example/db', 27017)).toBeUndefined();
  });
});

describe('probes', () => {
  it('report false quickly when nothing listens', async () => {
    const port = await freePort();
    const started = Date.now();
    expect(await probePostgres(`postgresql://postgres@127.0.0.1:${port}/postgres`, 2000)).toBe(false);
    expect(await probeMongo(`mongodb://127.0.0.1:${port}/`, 2000)).toBe(false);
    expect(await probeDynamo(`http://127.0.0.1:${port}`, 2000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('recognise a DynamoDB-shaped answer and reject any other HTTP server', async () => {
    let body = '{"TableNames":[]}';
    const server = createServer((_req, res) => res.end(body));
    servers.push(server);
    const port = await new Promise<number>((resolve) => {
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    expect(await probeDynamo(`http://127.0.0.1:${port}`, 2000)).toBe(true);
    body = '<html>hello</html>';
    expect(await probeDynamo(`http://127.0.0.1:${port}`, 2000)).toBe(false);
  });
});
