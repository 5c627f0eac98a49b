// Validation at the boundary with any Standard Schema validator (zod 4, valibot, arktype).
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError } from './errors.js';
import type { ErrorContext, ValidationIssue } from './errors.js';

export type { StandardSchemaV1 } from '@standard-schema/spec';

/** The type a schema accepts as input. */
export type SchemaInput<S extends StandardSchemaV1> = StandardSchemaV1.InferInput<S>;
/** The type a schema produces after parsing. */
export type SchemaOutput<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

function toIssues(issues: readonly StandardSchemaV1.Issue[]): ValidationIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((segment) => {
      const key = typeof segment === 'object' ? segment.key : segment;
      return typeof key === 'number' ? key : String(key);
    });
    const code = (issue as { code?: unknown }).code;
    return typeof code === 'string'
      ? { path, message: issue.message, code }
      : { path, message: issue.message };
  });
}

function unwrap<S extends StandardSchemaV1>(
  result: StandardSchemaV1.Result<SchemaOutput<S>>,
  context: ErrorContext,
): SchemaOutput<S> {
  if (result.issues !== undefined) throw new ValidationError(toIssues(result.issues), context);
  return result.value;
}

/**
 * Validates `value` with a Standard Schema and returns the parsed output, or throws a
 * {@link ValidationError} whose issues carry the paths. Works with async schemas too.
 *
 * @example
 * ```ts
 * const User = z.object({ email: z.email() })
 * const user = await validate(User, req.body) // ValidationError with path ['email'] on bad input
 * ```
 */
export async function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  context: ErrorContext = {},
): Promise<SchemaOutput<S>> {
  const result = await schema['~standard'].validate(value);
  return unwrap<S>(result, context);
}

/**
 * Validates synchronously: the fast path for the schemas most models use. A schema that needs to
 * run asynchronously is reported as a validation error with code `schema.async`.
 *
 * @example
 * ```ts
 * const user = validateSync(User, input)
 * ```
 */
export function validateSync<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  context: ErrorContext = {},
): SchemaOutput<S> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    result.catch(() => undefined);
    throw new ValidationError(
      [{ path: [], message: 'this schema validates asynchronously; use validate()', code: 'schema.async' }],
      {
        ...context,
        code: 'schema.async',
      },
    );
  }
  return unwrap<S>(result, context);
}

/**
 * Narrows an unknown value to a Standard Schema.
 *
 * @example
 * ```ts
 * if (isStandardSchema(options.schema)) validateSync(options.schema, input)
 * ```
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    '~standard' in value &&
    typeof (value as StandardSchemaV1)['~standard'].validate === 'function'
  );
}
