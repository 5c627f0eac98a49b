// Load test of the example service on one engine: autocannon drives a read / write / transfer mix on loopback.
// Usage: DBKIT_ENGINE=pglite npm run load -- [seconds]   (prints one JSON line of results)
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { buildApp } from './app.js';
import { seedDemo } from './seed.js';
import { engineFromEnv, openStore } from './stores/index.js';

const seconds = Number(process.argv[2] ?? 30);
const engine = engineFromEnv();
const store = await openStore(engine);
const demo = await seedDemo(store, { uniqueEmails: true });
const app = await buildApp({ store });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const [accountA, accountB] = demo.accountIds;
const totalBefore = await ledgerTotal();

const requests: autocannon.Request[] = [
  { method: 'GET', path: `/users/${demo.userId}` },
  { method: 'GET', path: `/users/${demo.userId}/posts?limit=20` },
  { method: 'GET', path: `/posts/${demo.postId}` },
  { method: 'POST', path: `/posts/${demo.postId}/like` },
  { method: 'GET', path: '/reports/top-authors' },
  {
    method: 'POST',
    path: `/users/${demo.userId}/posts`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'load test post', content: 'x' }),
  },
];
if (store.capabilities.transactions) {
  for (const [from, to] of [
    [accountA, accountB],
    [accountB, accountA],
  ] as const) {
    requests.push({
      method: 'POST',
      path: '/transfers',
      setupRequest: (req) => ({
        ...req,
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ fromId: from, toId: to, amount: 1 + Math.floor(Math.random() * 20) }),
      }),
    });
  }
}

const result = await autocannon({ url: address, connections: 16, duration: seconds, requests });
const totalAfter = await ledgerTotal();
await app.close();

const summary = {
  engine,
  seconds,
  requestsPerSecond: Math.round(result.requests.average),
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  requests: result.requests.total,
  non2xx: result.non2xx,
  statusCodes: result.statusCodeStats,
  errors: result.errors,
  timeouts: result.timeouts,
  ledgerBefore: totalBefore,
  ledgerAfter: totalAfter,
  ledgerConserved: totalBefore === totalAfter,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exitCode = summary.ledgerConserved ? 0 : 1;

async function ledgerTotal(): Promise<number> {
  const accounts = await Promise.all(demo.accountIds.map((id) => store.getAccount(id)));
  return accounts.reduce((sum, a) => sum + (a?.balance ?? 0), 0);
}
