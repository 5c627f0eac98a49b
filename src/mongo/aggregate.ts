// Aggregation passthrough: the pipeline as written, with `$match` stages guarded and server-side JavaScript refused.
import type { Document } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import { assertNoJavaScript, guardFilter } from './injection-guard.js';
import type { GuardOptions } from './injection-guard.js';
import { nodeOf } from './operators.js';
import type { Trusted } from './operators.js';

/** One pipeline stage, or a stage the server built and marked {@link trusted}. */
export type PipelineStage = Readonly<Record<`$${string}`, unknown>> | Trusted<Document>;

/**
 * Checks a pipeline before it is sent: every stage has exactly one `$` operator, top-level `$match`
 * stages go through the injection guard (plain values compared with `$eq`, operators only from
 * `op` helpers), and `$where` / `$function` / `$accumulator` are refused anywhere. A whole
 * pipeline or single stage wrapped in `trusted()` is only checked for JavaScript.
 *
 * @example
 * ```ts
 * guardPipeline([{ $match: { authorId: req.params.id } }, { $sort: { createdAt: -1 } }], {})
 * ```
 */
export function guardPipeline(pipeline: unknown, options: GuardOptions): Document[] {
  const whole = nodeOf(pipeline);
  if (whole?.kind === 'trusted') {
    assertNoJavaScript(whole.value, ['pipeline'], options.target);
    if (!Array.isArray(whole.value))
      throw invalid(['pipeline'], 'a pipeline must be an array of stages', options.target);
    return whole.value as Document[];
  }
  if (!Array.isArray(pipeline))
    throw invalid(['pipeline'], 'a pipeline must be an array of stages', options.target);
  return pipeline.map((stage: unknown, i) => {
    const path = ['pipeline', i];
    const node = nodeOf(stage);
    if (node?.kind === 'trusted') {
      assertNoJavaScript(node.value, path, options.target);
      return node.value as Document;
    }
    if (typeof stage !== 'object' || stage === null || Array.isArray(stage))
      throw invalid(path, 'a stage must be an object', options.target);
    const keys = Object.keys(stage);
    const name = keys[0];
    if (keys.length !== 1 || name === undefined || !name.startsWith('$')) {
      throw invalid(path, 'a stage must have exactly one $-operator key', options.target);
    }
    const body = (stage as Document)[name] as unknown;
    if (name === '$match') return { $match: guardFilter(body, options, [...path, '$match']) };
    assertNoJavaScript(body, [...path, name], options.target);
    return { [name]: body };
  });
}

function invalid(path: (string | number)[], message: string, target: string | undefined): ValidationError {
  return new ValidationError([{ path, message, code: 'pipeline.invalid' }], {
    code: 'pipeline.invalid',
    engine: 'mongodb',
    ...(target === undefined ? {} : { target }),
  });
}
