// Key templates such as `USER#{id}`: parsed once, typed from the template text, composed safely so a value cannot forge another key.
import type { ErrorCode } from '../core/error-codes.js';
import { ValidationError } from '../core/internal.js';

/**
 * The attribute names a template refers to: `TemplateVars<'USER#{id}#{n}'>` is `'id' | 'n'`.
 *
 * @example
 * ```ts
 * type V = TemplateVars<'ORG#{orgId}#USER#{userId}'> // 'orgId' | 'userId'
 * ```
 */
export type TemplateVars<S extends string> = string extends S
  ? string
  : S extends `${string}{${infer V}}${infer Rest}`
    ? V | TemplateVars<Rest>
    : never;

/**
 * The template itself when every name it refers to is an attribute of `A`; otherwise an error string
 * naming the unknown attribute, so a typo in a template is a type error.
 *
 * @example
 * ```ts
 * type Ok = CheckTemplate<'USER#{id}', { id: string }>   // 'USER#{id}'
 * type Bad = CheckTemplate<'USER#{idd}', { id: string }> // 'unknown attribute "idd" in key template'
 * ```
 */
export type CheckTemplate<S extends string, A> = [Exclude<TemplateVars<S>, keyof A & string>] extends [never]
  ? S
  : `unknown attribute "${Exclude<TemplateVars<S>, keyof A & string>}" in key template`;

/**
 * How a key value containing a delimiter is treated: refused, or percent-escaped.
 *
 * @example
 * ```ts
 * defineTable({ name: 'app', partitionKey: 'pk', sortKey: 'sk', keyValues: 'escape' satisfies KeyValuePolicy })
 * ```
 */
export type KeyValuePolicy = 'reject' | 'escape';

type Part = { literal: string } | { attribute: string };

/** A parsed template. */
export interface KeyTemplate {
  readonly source: string;
  readonly parts: readonly Part[];
  /** The attributes it refers to, in order. */
  readonly attributes: readonly string[];
  /** The literal text before the first attribute. */
  readonly staticPrefix: string;
}

/**
 * Parses a template; `{name}` marks an attribute. Throws on unbalanced or empty braces.
 *
 * @example
 * ```ts
 * parseTemplate('USER#{id}').attributes // ['id']
 * ```
 */
export function parseTemplate(source: string): KeyTemplate {
  const parts: Part[] = [];
  const attributes: string[] = [];
  const pattern = /\{([^{}]*)\}/g;
  let last = 0;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    const name = match[1] ?? '';
    if (name === '') throw new TypeError(`dbkit: empty {} in key template "${source}"`);
    if (match.index > last) parts.push({ literal: source.slice(last, match.index) });
    parts.push({ attribute: name });
    attributes.push(name);
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ literal: source.slice(last) });
  for (const part of parts) {
    if ('literal' in part && /[{}]/.test(part.literal))
      throw new TypeError(`dbkit: unbalanced braces in key template "${source}"`);
  }
  const first = parts[0];
  const staticPrefix = first !== undefined && 'literal' in first ? first.literal : '';
  return { source, parts, attributes, staticPrefix };
}

/** Options for composing a key value. */
export interface ComposeOptions {
  /** Characters that separate key segments. Default `#`. */
  delimiters: string;
  policy: KeyValuePolicy;
  /** Stop at the first missing attribute and return the prefix so far (for sort-key conditions). */
  prefix?: boolean;
  /** For error messages. */
  entity?: string;
}

function escapeValue(text: string, delimiters: string): string {
  let out = '';
  for (const ch of text) {
    out +=
      ch === '%' || delimiters.includes(ch)
        ? `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
        : ch;
  }
  return out;
}

function keyError(
  entity: string | undefined,
  attribute: string,
  template: string,
  message: string,
  code: ErrorCode,
): ValidationError {
  return new ValidationError([{ path: [attribute], message, code }], {
    engine: 'dynamodb',
    code,
    message: `${entity === undefined ? '' : `${entity}: `}${attribute} ${message} (key template "${template}")`,
  });
}

/**
 * Fills a template from `values`. A value containing a delimiter (or `%` when escaping) is rejected,
 * or percent-escaped with the `escape` policy, so `USER#{id}` with id `1#ADMIN` can never address
 * another entity's key. Empty strings and non-scalar values are rejected.
 *
 * @example
 * ```ts
 * composeKey(parseTemplate('USER#{id}'), { id: '42' }, { delimiters: '#', policy: 'reject' }) // 'USER#42'
 * composeKey(parseTemplate('USER#{id}'), { id: 'a#b' }, { delimiters: '#', policy: 'escape' }) // 'USER#a%23b'
 * ```
 */
export function composeKey(
  template: KeyTemplate,
  values: Readonly<Record<string, unknown>>,
  options: ComposeOptions,
): string {
  let out = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    const value = values[part.attribute];
    if (value === undefined || value === null) {
      if (options.prefix === true) return out;
      throw keyError(
        options.entity,
        part.attribute,
        template.source,
        'is required to build the key',
        'key.missingAttribute',
      );
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
    else
      throw keyError(
        options.entity,
        part.attribute,
        template.source,
        'must be a string or number to be part of a key',
        'key.invalidValue',
      );
    if (text === '')
      throw keyError(
        options.entity,
        part.attribute,
        template.source,
        'must not be empty in a key',
        'key.emptyValue',
      );
    if (options.policy === 'escape') {
      out += escapeValue(text, options.delimiters);
    } else {
      for (const ch of options.delimiters) {
        if (text.includes(ch)) {
          throw keyError(
            options.entity,
            part.attribute,
            template.source,
            `must not contain the key delimiter "${ch}"`,
            'key.delimiterInValue',
          );
        }
      }
      out += text;
    }
  }
  return out;
}
