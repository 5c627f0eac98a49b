// Expression placeholders: every attribute name becomes `#nX` and every value `:vX`, so nothing the caller passes is parsed as syntax.
import { ValidationError } from '../core/internal.js';

/** An attribute path: a top-level name, or segments (names and list indexes) into nested maps and lists. */
export type AttributePath = string | readonly (string | number)[];

/**
 * Collects `ExpressionAttributeNames` and `ExpressionAttributeValues` for one request. Names are
 * deduplicated; each value gets its own placeholder. Attribute names are never interpolated into
 * expression text, so reserved words (`name`, `status`) and names with dots, dashes or spaces work,
 * and a user-supplied name can never inject expression syntax.
 *
 * @example
 * ```ts
 * const ctx = new ExpressionContext()
 * const expr = `${ctx.name('status')} = ${ctx.value('active')}` // '#n0 = :v0'
 * ctx.params() // { ExpressionAttributeNames: { '#n0': 'status' }, ExpressionAttributeValues: { ':v0': 'active' } }
 * ```
 */
export class ExpressionContext {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly byName = new Map<string, string>();
  private nameCount = 0;
  private valueCount = 0;

  /** The placeholder for one attribute name (a whole name, never split on dots). */
  name(attribute: string): string {
    let placeholder = this.byName.get(attribute);
    if (placeholder !== undefined) return placeholder;
    if (typeof attribute !== 'string' || attribute.length === 0) {
      throw new ValidationError(
        [{ path: [], message: 'attribute names must be non-empty strings', code: 'expression.emptyName' }],
        {
          engine: 'dynamodb',
          code: 'expression.emptyName',
        },
      );
    }
    placeholder = `#n${this.nameCount++}`;
    this.byName.set(attribute, placeholder);
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** The placeholder expression for a path: names joined with `.`, list indexes as `[i]`. */
  path(path: AttributePath): string {
    if (typeof path === 'string') return this.name(path);
    let out = '';
    for (const segment of path) {
      if (typeof segment === 'number') {
        if (!Number.isInteger(segment) || segment < 0 || out === '') {
          throw new ValidationError(
            [
              {
                path: [...path],
                message: 'list indexes must be non-negative integers after a name',
                code: 'expression.badPath',
              },
            ],
            {
              engine: 'dynamodb',
              code: 'expression.badPath',
            },
          );
        }
        out += `[${segment}]`;
      } else {
        out += out === '' ? this.name(segment) : `.${this.name(segment)}`;
      }
    }
    if (out === '') {
      throw new ValidationError(
        [{ path: [], message: 'an attribute path needs at least one name', code: 'expression.badPath' }],
        {
          engine: 'dynamodb',
          code: 'expression.badPath',
        },
      );
    }
    return out;
  }

  /** A fresh placeholder for one value. */
  value(value: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The names and values collected so far, leaving out empty maps (DynamoDB rejects them). */
  params(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    const out: {
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    } = {};
    if (this.nameCount > 0) out.ExpressionAttributeNames = this.names;
    if (this.valueCount > 0) out.ExpressionAttributeValues = this.values;
    return out;
  }

  /** The collected values (for size accounting). */
  valueList(): unknown[] {
    return Object.values(this.values);
  }
}

/**
 * A projection expression for the given attribute names.
 *
 * @example
 * ```ts
 * projection(ctx, ['id', 'name']) // '#n0, #n1'
 * ```
 */
export function projection(ctx: ExpressionContext, attributes: readonly string[]): string {
  return attributes.map((a) => ctx.name(a)).join(', ');
}
