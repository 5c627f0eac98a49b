// DynamoDB under faults a production table sees: random throttling, lost answers, a cut batch, a black hole, a retried transaction. No acknowledged write lost, none applied twice, every call settled by its deadline.
import { expect, it } from 'vitest';
import { DbkitError, OutcomeUnknownError, ThrottledError, TimeoutError } from '../../src/core/internal.js';
import { tx, UnprocessedItemsError } from '../../src/dynamo/index.js';
import type { DynamoClientOptions } from '../../src/dynamo/index.js';
import { seededRandom, throttleShare } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { defineModel } from '../dynamo/model.js';
import { proxiedDynamo } from '../dynamo/proxied.js';

const MARGIN_MS = 500;

async function timed<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { value, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_reliability'));
  const t = proxiedDynamo(endpoint, model);
  const { direct } = t;
  const viaProxy = (options: DynamoClientOptions = {}) => t.viaProxy(options);

  it('30% throttling on creates, increments and gets: each call succeeds or ends throttled by its deadline; the table holds exactly what was acknowledged', async () => {
    // generous: two cores run this beside other suites; what matters is that no call outlives it
    const deadline = 2_000;
    await direct.entity(model.Post).create({ userId: 'mix', postId: 'counter', title: 'c', likes: 0 });
    t.proxy.setRule(throttleShare(0.3, { random: seededRandom(7) }));
    const db = viaProxy({ timeoutMs: deadline, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 80 } });
    const posts = db.entity(model.Post);
    const calls: { op: 'create' | 'increment' | 'get'; id: string; run: Promise<unknown> }[] = [];
    for (let i = 0; i < 30; i++) {
      calls.push({
        op: 'create',
        id: `c${i}`,
        run: posts.create({ userId: 'mix', postId: `c${i}`, title: 'x' }),
      });
      calls.push({
        op: 'increment',
        id: 'counter',
        run: posts.update({ userId: 'mix', postId: 'counter' }, { increment: { likes: 1 } }),
      });
      calls.push({ op: 'get', id: 'counter', run: posts.get({ userId: 'mix', postId: 'counter' }) });
    }
    const results = await Promise.all(calls.map((c) => timed(c.run)));
    for (const r of results) {
      expect(r.ms).toBeLessThan(deadline + MARGIN_MS);
      if (r.error !== undefined) expect(r.error).toBeInstanceOf(ThrottledError);
    }
    const sent = [...t.proxy.calls.values()].reduce((a, b) => a + b, 0);
    t.proxy.setRule(() => ({ kind: 'forward' }));
    const acknowledgedCreates = calls.filter((c, i) => c.op === 'create' && results[i]?.error === undefined);
    const page = await direct.entity(model.Post).query({ partition: { userId: 'mix' }, limit: 100 });
    const stored = page.items.map((p) => p.postId).filter((id) => id !== 'counter');
    expect(stored.sort()).toEqual(acknowledgedCreates.map((c) => c.id).sort());
    const acknowledgedIncrements = calls.filter(
      (c, i) => c.op === 'increment' && results[i]?.error === undefined,
    );
    const unknown = calls.filter(
      (c, i) => c.op === 'increment' && results[i]?.error instanceof OutcomeUnknownError,
    );
    const counter = await direct
      .entity(model.Post)
      .get({ userId: 'mix', postId: 'counter' }, { consistent: true });
    expect(counter?.likes).toBeGreaterThanOrEqual(acknowledgedIncrements.length);
    expect(counter?.likes).toBeLessThanOrEqual(acknowledgedIncrements.length + unknown.length);
    expect(acknowledgedIncrements.length).toBeGreaterThan(0);
    // the throttles were real: dbkit retried them (more requests than calls)
    expect(sent).toBeGreaterThan(calls.length);
  });

  it('lost answers on increments: the counter equals the acknowledged increments plus those applied whose outcome was unknown', async () => {
    await direct.entity(model.Post).create({ userId: 'lose', postId: 'counter', title: 'c', likes: 0 });
    const random = seededRandom(11);
    t.proxy.setRule((op) =>
      op === 'UpdateItem' && random() < 0.4
        ? { kind: 'applyThenLose', as: random() < 0.5 ? 'reset' : 'error500' }
        : { kind: 'forward' },
    );
    const db = viaProxy({ timeoutMs: 2_000, retry: { baseDelayMs: 5, maxDelayMs: 50 } });
    const results = [];
    for (let i = 0; i < 25; i++)
      results.push(
        await timed(
          db.entity(model.Post).update({ userId: 'lose', postId: 'counter' }, { increment: { likes: 1 } }),
        ),
      );
    const applied = t.proxy.applied.get('UpdateItem') ?? 0;
    const callsSeen = t.proxy.calls.get('UpdateItem');
    t.proxy.setRule(() => ({ kind: 'forward' }));
    const acknowledged = results.filter((r) => r.error === undefined).length;
    const unknown = results.filter((r) => r.error instanceof OutcomeUnknownError).length;
    expect(results.every((r) => r.error === undefined || r.error instanceof OutcomeUnknownError)).toBe(true);
    expect(unknown).toBe(applied);
    expect(unknown).toBeGreaterThan(0);
    const counter = await direct
      .entity(model.Post)
      .get({ userId: 'lose', postId: 'counter' }, { consistent: true });
    expect(callsSeen).toBe(25);
    expect(counter?.likes).toBe(acknowledged + applied);
  });

  it('a batch write cut mid-way reports every item in exactly one group, matching the table', async () => {
    const ids = Array.from({ length: 75 }, (_, i) => `cut${i}`);
    t.proxy.setRule((op, _b, n) =>
      op === 'BatchWriteItem' && n >= 2 ? { kind: 'reset' } : { kind: 'forward' },
    );
    const db = viaProxy({ retry: { maxAttempts: 3, baseDelayMs: 5 } });
    const { error } = await timed(
      db.entity(model.Account).batchWrite({ put: ids.map((id) => ({ id, balance: 1 })) }, { concurrency: 1 }),
    );
    t.proxy.setRule(() => ({ kind: 'forward' }));
    expect(error).toBeInstanceOf(UnprocessedItemsError);
    const report = error as UnprocessedItemsError;
    const keyOf = (u: { key: Record<string, unknown> }) => String(u.key.pk).replace('ACCOUNT#', '');
    const groups = [report.written, report.unknown, report.unprocessed].map((g) => g.map(keyOf));
    expect(groups.flat().sort()).toEqual([...ids].sort());
    const stored = await direct.entity(model.Account).batchGet(ids.map((id) => ({ id })));
    const present = new Set(ids.filter((_, i) => stored[i] !== null));
    for (const id of groups[0] ?? []) expect(present.has(id)).toBe(true);
    for (const id of groups[2] ?? []) expect(present.has(id)).toBe(false);
    // a reset before forwarding applied nothing: every present item was confirmed
    expect([...present].sort()).toEqual([...(groups[0] ?? [])].sort());
  });

  it('a black-holed endpoint: every operation settles by its deadline with a typed error', async () => {
    await direct.entity(model.Account).create({ id: 'hole', balance: 1 });
    t.proxy.setRule(() => ({ kind: 'hang' }));
    const deadline = 700;
    const db = viaProxy({ timeoutMs: deadline });
    const accounts = db.entity(model.Account);
    const runs: Promise<unknown>[] = [
      accounts.get({ id: 'hole' }),
      accounts.query({ partition: { id: 'hole' } }),
      accounts.create({ id: 'hole2', balance: 1 }),
      accounts.put({ id: 'hole', balance: 3 }),
      accounts.update({ id: 'hole' }, { increment: { balance: 1 } }),
      accounts.delete({ id: 'hole' }),
      accounts.batchGet([{ id: 'hole' }]),
      accounts.batchWrite({ put: [{ id: 'hole3', balance: 1 }] }),
      db.transactWrite([tx.update(model.Account, { id: 'hole' }, { increment: { balance: 1 } })]),
    ];
    const results = await Promise.all(runs.map((r) => timed(r)));
    for (const r of results) {
      expect(r.error).toBeInstanceOf(DbkitError);
      expect(r.ms).toBeLessThan(deadline + MARGIN_MS);
    }
    expect(results[0]?.error).toBeInstanceOf(TimeoutError);
    expect(results[4]?.error).toBeInstanceOf(OutcomeUnknownError);
  });

  it('a transaction whose answer is lost is re-sent with the same ClientRequestToken and applied once', async () => {
    await direct.entity(model.Account).create({ id: 'from', balance: 100 });
    await direct.entity(model.Account).create({ id: 'to', balance: 0 });
    const tokens: unknown[] = [];
    t.proxy.setRule((op, body, n) => {
      if (op !== 'TransactWriteItems') return { kind: 'forward' };
      tokens.push(body.ClientRequestToken);
      return n === 1 ? { kind: 'applyThenLose' } : { kind: 'forward' };
    });
    const db = viaProxy({ retry: { baseDelayMs: 5 } });
    await db.transactWrite([
      tx.update(
        model.Account,
        { id: 'from' },
        { increment: { balance: -30 } },
        { condition: { balance: { gte: 30 } } },
      ),
      tx.update(model.Account, { id: 'to' }, { increment: { balance: 30 } }),
      tx.create(model.Transfer, { id: 't1', from: 'from', to: 'to', amount: 30 }),
    ]);
    expect(tokens).toHaveLength(2);
    expect(typeof tokens[0]).toBe('string');
    expect(tokens[1]).toBe(tokens[0]);
    const [from, to] = await direct.entity(model.Account).batchGet([{ id: 'from' }, { id: 'to' }]);
    expect([from?.balance, to?.balance]).toEqual([70, 30]);
  });
});
