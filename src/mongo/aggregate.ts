// Aggregation passthrough: the pipeline as written, with `$match` stages guarded (sub-pipelines too) and server-side JavaScript refused.
import type { Document } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import { assertNoJavaScript, guardFilter } from './injection-guard.js';
import type { GuardOptions } from './injection-guard.js';
import { nodeOf } from './operators.js';
import type { Trusted } from './operators.js';
import type { CallOptions } from '../core/internal.js';
import type { RepoContext } from './context.js';
import { readOptions } from './context.js';
import { runMongo } from './operations.js';

/**
 * One pipeline stage, or a stage the server built and marked {@link trusted}.
 *
 * @example
 * ```ts
 * const stages: PipelineStage[] = [{ $match: { status: 'open' } }, { $group: { _id: '$ownerId', n: { $sum: 1 } } }]
 * ```
 */
export type PipelineStage = Readonly<Record<`$${string}`, unknown>> | Trusted<Document>;

type Path = (string | number)[];

// $lookup in $facet in $unionWith ... deeper than this is not a pipeline a route builds.
const MAX_PIPELINE_DEPTH = 8;

/**
 * Checks a pipeline before it is sent: every stage has exactly one `$` operator, `$match` stages
 * go through the injection guard (plain values compared with `$eq`, operators only from `op`
 * helpers) wherever they are, including the sub-pipelines of `$lookup`, `$facet` and
 * `$unionWith` and the `restrictSearchWithMatch` of `$graphLookup`; `$lookup` `let` variables
 * may be field paths or plain values but not operator expressions; and `$where` / `$function` /
 * `$accumulator` are refused anywhere. A whole pipeline or single stage wrapped in `trusted()` is
 * only checked for JavaScript.
 *
 * @example
 * ```ts
 * guardPipeline([{ $match: { authorId: req.params.id } }, { $sort: { createdAt: -1 } }], {})
 * guardPipeline([{ $lookup: { from: 'users', as: 'u', pipeline: [{ $match: body }] } }], {})
 * // throws ValidationError when body holds an operator such as {"password":{"$gt":""}}
 * ```
 */
export function guardPipeline(pipeline: unknown, options: GuardOptions): Document[] {
  return guardStages(pipeline, options, ['pipeline'], 0);
}

function guardStages(pipeline: unknown, options: GuardOptions, path: Path, depth: number): Document[] {
  const target = options.target;
  if (depth > MAX_PIPELINE_DEPTH) throw invalid(path, 'sub-pipelines are nested too deeply', target);
  const whole = nodeOf(pipeline);
  if (whole?.kind === 'trusted') {
    assertNoJavaScript(whole.value, path, target);
    if (!Array.isArray(whole.value)) throw invalid(path, 'a pipeline must be an array of stages', target);
    return whole.value as Document[];
  }
  if (!Array.isArray(pipeline)) throw invalid(path, 'a pipeline must be an array of stages', target);
  return pipeline.map((stage: unknown, i) => guardStage(stage, options, [...path, i], depth));
}

function guardStage(stage: unknown, options: GuardOptions, path: Path, depth: number): Document {
  const target = options.target;
  const node = nodeOf(stage);
  if (node?.kind === 'trusted') {
    assertNoJavaScript(node.value, path, target);
    return node.value as Document;
  }
  if (typeof stage !== 'object' || stage === null || Array.isArray(stage))
    throw invalid(path, 'a stage must be an object', target);
  const keys = Object.keys(stage);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined || !name.startsWith('$')) {
    throw invalid(path, 'a stage must have exactly one $-operator key', target);
  }
  const body = (stage as Document)[name] as unknown;
  const at = [...path, name];
  switch (name) {
    case '$match':
      return { $match: guardFilter(body, options, at) };
    case '$lookup':
      return { $lookup: guardLookup(body, options, at, depth) };
    case '$facet':
      return { $facet: guardFacet(body, options, at, depth) };
    case '$unionWith':
      return { $unionWith: guardUnionWith(body, options, at, depth) };
    case '$graphLookup':
      return { $graphLookup: guardGraphLookup(body, options, at) };
    default:
      assertNoJavaScript(body, at, target);
      return { [name]: body };
  }
}

function bodyObject(body: unknown, path: Path, what: string, target: string | undefined): Document {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || nodeOf(body) !== undefined)
    throw invalid(path, `${what} needs an object`, target);
  return body;
}

function guardLookup(body: unknown, options: GuardOptions, path: Path, depth: number): Document {
  const target = options.target;
  const out = { ...bodyObject(body, path, '$lookup', target) };
  if ('let' in out) out.let = guardLet(out.let, [...path, 'let'], target);
  if ('pipeline' in out) out.pipeline = guardStages(out.pipeline, options, [...path, 'pipeline'], depth + 1);
  assertNoJavaScript(out, path, target);
  return out;
}

function guardFacet(body: unknown, options: GuardOptions, path: Path, depth: number): Document {
  const branches = bodyObject(body, path, '$facet', options.target);
  return Object.fromEntries(
    Object.entries(branches).map(([branch, stages]) => [
      branch,
      guardStages(stages, options, [...path, branch], depth + 1),
    ]),
  );
}

function guardUnionWith(body: unknown, options: GuardOptions, path: Path, depth: number): unknown {
  if (typeof body === 'string') return body;
  const out = { ...bodyObject(body, path, '$unionWith', options.target) };
  if ('pipeline' in out) out.pipeline = guardStages(out.pipeline, options, [...path, 'pipeline'], depth + 1);
  assertNoJavaScript(out, path, options.target);
  return out;
}

function guardGraphLookup(body: unknown, options: GuardOptions, path: Path): Document {
  const out = { ...bodyObject(body, path, '$graphLookup', options.target) };
  if ('restrictSearchWithMatch' in out)
    out.restrictSearchWithMatch = guardFilter(out.restrictSearchWithMatch, options, [
      ...path,
      'restrictSearchWithMatch',
    ]);
  assertNoJavaScript(out, path, options.target);
  return out;
}

/**
 * `$lookup` variables: field paths (`'$_id'`), `$$` variables and plain values are kept; an
 * object with `$` keys is an expression, which request data must never become, so it needs
 * `trusted()`. Compare input in the sub-pipeline's `$match`, where it is guarded.
 */
function guardLet(value: unknown, path: Path, target: string | undefined): unknown {
  const node = nodeOf(value);
  if (node?.kind === 'trusted') {
    assertNoJavaScript(node.value, path, target);
    return node.value;
  }
  const vars = bodyObject(value, path, 'let', target);
  assertNoJavaScript(vars, path, target);
  for (const [name, v] of Object.entries(vars)) assertNoExpression(v, [...path, name], target);
  return vars;
}

function assertNoExpression(value: unknown, path: Path, target: string | undefined, depth = 0): void {
  if (depth > 20) throw invalid(path, 'the value is nested too deeply', target);
  if (typeof value !== 'object' || value === null) return;
  if (nodeOf(value) !== undefined)
    throw invalid(path, 'operator helpers are not accepted in $lookup let', target);
  if (Array.isArray(value)) {
    value.forEach((v: unknown, i) => {
      assertNoExpression(v, [...path, i], target, depth + 1);
    });
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return;
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('$')) {
      throw new ValidationError(
        [
          {
            path: [...path, key],
            message: `"${key}": expressions in $lookup let must be wrapped in trusted()`,
            code: 'injection.operator',
          },
        ],
        { code: 'injection.operator', engine: 'mongodb', ...(target === undefined ? {} : { target }) },
      );
    }
    assertNoExpression(v, [...path, key], target, depth + 1);
  }
}

function invalid(path: Path, message: string, target: string | undefined): ValidationError {
  return new ValidationError([{ path, message, code: 'pipeline.invalid' }], {
    code: 'pipeline.invalid',
    engine: 'mongodb',
    ...(target === undefined ? {} : { target }),
  });
}

/**
 * Options for `aggregate`.
 *
 * @example
 * ```ts
 * await orders.aggregate(stages, { allowDiskUse: true, timeoutMs: 30_000 })
 * ```
 */
export interface AggregateOptions extends CallOptions {
  /** Lets stages that exceed the server's memory limit write temporary files. */
  allowDiskUse?: boolean | undefined;
}

/**
 * @internal Guards a pipeline and runs it as the repository's `aggregate` operation.
 *
 * @example
 * ```ts
 * const rows = await runAggregate(ctx, [{ $match: { status: 'open' } }], {})
 * ```
 */
export function runAggregate<R extends Document>(
  ctx: RepoContext,
  pipeline: unknown,
  options: AggregateOptions,
): Promise<R[]> {
  const stages = guardPipeline(pipeline, ctx.guard);
  return runMongo(
    ctx,
    'aggregate',
    (signal) =>
      ctx.collection
        .aggregate<R>(stages, {
          ...readOptions(ctx, signal, options),
          ...(options.allowDiskUse === undefined ? {} : { allowDiskUse: options.allowDiskUse }),
        })
        .toArray(),
    options,
    (r) => ({ count: r.length }),
  );
}
