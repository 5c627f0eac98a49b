// Refuses guarantees the deployment cannot keep: optimistic locking needs atomic conditional updates.
import { UnsupportedError } from '../core/errors.js';
import type { RepoContext } from './context.js';

/**
 * Throws an UnsupportedError when single-document updates are not atomic on this deployment
 * (FerretDB v1), where a version check could let two writers both win and lose an update silently.
 *
 * @example
 * ```ts
 * if (options.expectedVersion !== undefined) await requireAtomicUpdates(ctx, 'update')
 * ```
 */
export async function requireAtomicUpdates(ctx: RepoContext, operation: string): Promise<void> {
  const caps = await ctx.connection.capabilities();
  if (caps.atomicUpdates) return;
  throw new UnsupportedError(
    `optimistic locking needs atomic conditional updates, but ${caps.flavor} ${caps.version} applies them as read-then-write, so two writers could both win one version; use MongoDB (or another engine) for versioned writes`,
    {
      feature: 'atomicUpdates',
      engine: 'mongodb',
      operation,
      target: ctx.definition.name,
      code: 'unsupported.atomicUpdates',
    },
  );
}
