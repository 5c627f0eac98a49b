import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionError,
  DbkitError,
  OutcomeUnknownError,
  ThrottledError,
  TimeoutError,
  TransientError,
} from '../../src/core/errors.js';
import { createInstrumentation } from '../../src/core/events.js';
import type { OperationEvent, OperationSpec } from '../../src/core/events.js';
import { execute } from '../../src/core/executor.js';
import type { ExecutorConfig } from '../../src/core/executor.js';
import type { Logger } from '../../src/core/logger.js';

const read: OperationSpec = {
  engine: 'core',
  operation: 'get',
  target: 'things',
  kind: 'read',
  idempotent: true,
};
const write: OperationSpec = {
  engine: 'core',
  operation: 'insert',
  target: 'things',
  kind: 'write',
  idempotent: false,
};

function setup(logger?: Logger) {
  const events: OperationEvent[] = [];
  const instrumentation = createInstrumentation({
    listeners: [(e) => events.push(e)],
    slowOperationMs: 30,
    ...(logger ? { logger } : {}),
  });
  const config: ExecutorConfig = {
    instrumentation,
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
    mapError: (err) =>
      (err as { name?: string }).name === 'Busy'
        ? new ThrottledError('busy', { cause: err })
        : new DbkitError('transient', 'mapped', { cause: err, retryable: false }),
  };
  return { events, config };
}

describe('execute', () => {
  it('emits started then succeeded with duration, attempts and figures', async () => {
    const { events, config } = setup();
    const out = await execute(config, read, () => Promise.resolve([1, 2, 3]), {
      describe: (r) => ({ count: r.length }),
    });
    expect(out).toEqual([1, 2, 3]);
    expect(events.map((e) => e.type)).toEqual(['started', 'succeeded']);
    expect(events[1]).toMatchObject({
      type: 'succeeded',
      attempts: 1,
      count: 3,
      operation: 'get',
      target: 'things',
    });
    expect(events[0]?.id).toBe(events[1]?.id);
  });

  it('maps driver errors through the engine mapper and keeps the cause', async () => {
    const { events, config } = setup();
    const driverErr = new Error('driver exploded');
    const err = await execute(config, read, () => Promise.reject(driverErr)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbkitError);
    expect((err as DbkitError).cause).toBe(driverErr);
    expect(events.map((e) => e.type)).toEqual(['started', 'failed']);
  });

  it('retries a throttled write and reports each retry', async () => {
    const { events, config } = setup();
    let n = 0;
    const out = await execute(config, write, () =>
      ++n < 3 ? Promise.reject(Object.assign(new Error('x'), { name: 'Busy' })) : Promise.resolve('done'),
    );
    expect(out).toBe('done');
    expect(events.map((e) => e.type)).toEqual(['started', 'retry', 'retry', 'succeeded']);
    expect(events.at(-1)).toMatchObject({ attempts: 3 });
  });

  it('does not retry a non-idempotent write whose outcome is unknown, and says so', async () => {
    const { config } = setup();
    let n = 0;
    const err = await execute(config, write, () => (n++, Promise.reject(new TransientError('blip')))).catch(
      (e: unknown) => e,
    );
    expect(n).toBe(1);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(err).toMatchObject({
      kind: 'outcome_unknown',
      code: 'outcome_unknown.transient',
      retryable: false,
    });
    expect((err as Error).cause).toBeInstanceOf(TransientError);
  });

  it('retries a non-idempotent write when the engine certainly did nothing', async () => {
    const { config } = setup();
    let n = 0;
    await expect(
      execute(config, write, () =>
        ++n < 3
          ? Promise.reject(new TransientError('rolled back', { notApplied: true }))
          : Promise.resolve(n),
      ),
    ).resolves.toBe(3);
  });

  it('reports a connection lost under a non-idempotent write as outcome unknown', async () => {
    const { config } = setup();
    const err = await execute(config, write, () => Promise.reject(new ConnectionError('reset'))).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'outcome_unknown', retryable: false, notApplied: false });
  });

  it('keeps a refused connection retryable: nothing was sent', async () => {
    const { config } = setup();
    let n = 0;
    await expect(
      execute(config, write, () =>
        ++n < 2
          ? Promise.reject(new ConnectionError('refused', { notApplied: true }))
          : Promise.resolve('ok'),
      ),
    ).resolves.toBe('ok');
    expect(n).toBe(2);
  });

  it("rethrows the caller's own error untouched, without retrying it", async () => {
    const { config, events } = setup();
    const mine = new Error('insufficient funds');
    let n = 0;
    const err = await execute(config, read, () => (n++, Promise.reject(mine)), {
      passThrough: (e) => e === mine,
    }).catch((e: unknown) => e);
    expect(err).toBe(mine);
    expect(n).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'failed', error: { code: 'internal.callback' } });
  });

  it('sends nothing when the signal was aborted before the call, and says the write was not applied', async () => {
    const { config } = setup();
    let calls = 0;
    const err = await execute(
      config,
      write,
      () => {
        calls++;
        return Promise.resolve('sent');
      },
      { signal: AbortSignal.abort() },
    ).catch((e: unknown) => e);
    expect(calls).toBe(0);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'timeout.aborted', notApplied: true });
  });

  it('settles at its deadline even when the driver never answers', async () => {
    const { config } = setup();
    const started = performance.now();
    const err = await execute(config, read, () => new Promise<never>(() => undefined), {
      timeoutMs: 60,
    }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(500);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ timeoutMs: 60 });
  });

  it('uses the client default time limit when the call sets none', async () => {
    const { config } = setup();
    const err = await execute(
      { ...config, timeoutMs: 40 },
      read,
      () => new Promise<never>(() => undefined),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it('reports a write cut at its deadline while in flight as outcome unknown, not as the earlier throttle', async () => {
    const { config } = setup();
    let n = 0;
    const err = await execute(
      { ...config, retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 1, deadlineMs: 80 } },
      write,
      () => (++n === 1 ? Promise.reject(new ThrottledError('busy')) : new Promise<never>(() => undefined)),
    ).catch((e: unknown) => e);
    expect(n).toBe(2);
    expect(err).toMatchObject({ kind: 'outcome_unknown', code: 'outcome_unknown.timeout' });
  });

  it('reports the throttle, not a timeout, when a read is cut at its retry deadline', async () => {
    const { config } = setup();
    let n = 0;
    const err = await execute(
      { ...config, retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 1, deadlineMs: 80 } },
      read,
      () => (++n === 1 ? Promise.reject(new ThrottledError('busy')) : new Promise<never>(() => undefined)),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
  });

  it('retries a read on a transient error', async () => {
    const { config } = setup();
    let n = 0;
    await expect(
      execute(config, read, () =>
        ++n < 2 ? Promise.reject(new TransientError('blip')) : Promise.resolve(n),
      ),
    ).resolves.toBe(2);
  });

  it('never retries a conflict', async () => {
    const { config } = setup();
    let n = 0;
    await expect(
      execute(config, read, () => (n++, Promise.reject(new ConflictError('dup')))),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(n).toBe(1);
  });

  it('ends in a TimeoutError when the operation outlives timeoutMs', async () => {
    const { config } = setup();
    const slow = (signal: AbortSignal | undefined) =>
      new Promise<never>((_, reject) =>
        signal?.addEventListener('abort', () => {
          reject(new Error('aborted by signal'));
        }),
      );
    const err = await execute(config, read, slow, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).timeoutMs).toBe(50);
  });

  it('logs operations slower than the threshold', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (_d, m) => warnings.push(m),
    };
    const { config } = setup(logger);
    await execute(
      config,
      read,
      () =>
        new Promise((r) =>
          setTimeout(() => {
            r(1);
          }, 40),
        ),
    );
    await execute(config, read, () => Promise.resolve(1));
    expect(warnings).toEqual(['dbkit: slow operation']);
  });

  it('records a span per operation when given a tracer', async () => {
    const { config } = setup();
    const spans: { name: string; ended: boolean; status?: number }[] = [];
    const tracer = {
      startSpan(name: string) {
        const span = { name, ended: false } as (typeof spans)[number];
        spans.push(span);
        return {
          setAttribute: () => undefined,
          setStatus: (s: { code: number }) => {
            span.status = s.code;
          },
          recordException: () => undefined,
          end: () => {
            span.ended = true;
          },
        };
      },
    };
    await execute({ ...config, tracer }, read, () => Promise.resolve(1));
    await execute({ ...config, tracer }, read, () => Promise.reject(new ConflictError('dup'))).catch(
      () => undefined,
    );
    expect(spans).toEqual([
      { name: 'get things', ended: true },
      { name: 'get things', ended: true, status: 2 },
    ]);
  });
});

describe('execute with a retry deadline', () => {
  it('cuts a slow in-flight attempt at the deadline and reports the last real error, not a timeout', async () => {
    const { config } = setup();
    let calls = 0;
    const started = Date.now();
    const err = await execute(
      config,
      read,
      (signal) => {
        calls++;
        if (calls === 1) return Promise.reject(Object.assign(new Error('busy'), { name: 'Busy' }));
        // The second attempt hangs (a driver retrying internally) until the deadline aborts it.
        return new Promise<never>((_, reject) =>
          signal?.addEventListener('abort', () => {
            reject(new Error('aborted'));
          }),
        );
      },
      { retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 2, deadlineMs: 150 } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect(Date.now() - started).toBeLessThan(400);
    expect(calls).toBe(2);
  });
});
