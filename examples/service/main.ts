// `npm start`: the example service on the engine DBKIT_ENGINE names (PGlite in-process by default), with demo data.
import { buildApp } from './app.js';
import { seedDemo } from './seed.js';
import { engineFromEnv, openStore } from './stores/index.js';

const engine = engineFromEnv();
// Against a server the schema is a deploy step (`npm run migrate`), never done at start-up; the
// in-process PGlite demo prepares its own database.
const store = await openStore(engine, process.env, engine === 'pglite' ? 'apply' : 'verify').catch(
  (err: unknown) => {
    process.stderr.write(`dbkit example: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
const inMemory = engine === 'pglite' && !process.env.DBKIT_PGLITE_DIR;
const demo = await seedDemo(store, { uniqueEmails: !inMemory });
const sweeper = setInterval(() => void store.sweepSessions(), 60_000).unref();
const app = await buildApp({
  store,
  logger: process.env.LOG_LEVEL ? { level: process.env.LOG_LEVEL } : false,
});
const port = Number(process.env.PORT ?? 3000);
const url = await app.listen({ host: process.env.HOST ?? '127.0.0.1', port });

const [from, to] = demo.accountIds;
process.stdout.write(
  [
    `dbkit example service on ${engine}: ${url}`,
    '',
    'Try:',
    `  curl -s ${url}/users/${demo.userId}`,
    `  curl -s "${url}/users?email=${encodeURIComponent(demo.email)}"`,
    `  curl -s "${url}/users/${demo.userId}/posts?limit=2"            # then pass ?cursor=<nextCursor>`,
    `  curl -s -X POST ${url}/posts/${demo.postId}/like`,
    `  curl -s ${url}/reports/top-authors`,
    `  curl -s -X PATCH ${url}/users/${demo.userId} -H 'content-type: application/json' -H 'if-match: "${demo.version}"' -d '{"name":"Ada King"}'`,
    `  curl -s -X POST ${url}/transfers -H 'content-type: application/json' -H 'idempotency-key: demo-transfer-1' -d '{"fromId":"${from}","toId":"${to}","amount":100}'`,
    `  curl -s -X POST ${url}/users -H 'content-type: application/json' -d '{"name":"","email":"nope"}'   # 400 problem details`,
    `  curl -s ${url}/openapi.json`,
    '',
    `PATCH needs the ETag from GET as If-Match; a stale one is a 412. DBKIT_ENGINE=postgres|dynamo|mongo picks another engine.`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(sweeper);
    void app.close().then(() => process.exit(0));
  });
}
