// The injection guard: turns a filter that may carry request data into one where input is only ever compared, never run.
import type { ErrorCode } from '../core/error-codes.js';
import { ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import type { ValidationIssue } from '../core/errors.js';
import { escapeRegex, nodeOf } from './operators.js';
import type { OpNode } from './operators.js';
import { isObjectIdString } from './object-id.js';

/** How the guard treats one collection's filters. */
export interface GuardOptions {
  /** Fields where `op.regex` patterns are used as given; elsewhere they are escaped to literals. */
  searchable?: ReadonlySet<string>;
  /** Dotted paths the collection declares (index keys, `paths`); any other dotted key is refused. */
  paths?: ReadonlySet<string>;
  /** `objectId` converts 24-hex strings given for `_id` into ObjectIds and refuses other strings. */
  idType?: 'objectId' | 'string';
  /** Accept `id` as a name for `_id` (collections that map `_id` to `id`). */
  idAlias?: boolean;
  /** Collection name for error context. */
  target?: string;
}

type Path = (string | number)[];

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const JAVASCRIPT_OPERATORS = new Set(['$where', '$function', '$accumulator']);
const BSON_MARKER = Symbol.for('@@mdb.bson.version');
const MAX_DEPTH = 20;
const MAX_REGEX_LENGTH = 256;
const MAX_ARRAY_LENGTH = 10_000;

function reject(path: Path, code: ErrorCode, message: string, target?: string): never {
  const issue: ValidationIssue = { path, message, code };
  throw new ValidationError([issue], {
    code,
    engine: 'mongodb',
    operation: 'filter',
    ...(target === undefined ? {} : { target }),
  });
}

/**
 * Checks a filter and rewrites it so that request data can only be compared: plain values become
 * `$eq`, `$`-prefixed keys, dotted keys that are not declared, prototype keys, server-side
 * JavaScript and operator-shaped objects in value positions are refused with a ValidationError
 * naming the path. Operators come only from {@link op}, {@link or}/{@link and}/{@link nor} or
 * {@link trusted}, which JSON cannot produce.
 *
 * @example
 * ```ts
 * guardFilter({ email: 'a@b.c', password: { $ne: null } })
 * // throws ValidationError: password.$ne: operators are not accepted in values (code injection.operator)
 * guardFilter({ age: op.gte(18) }) // { age: { $gte: 18 } }
 * ```
 */
export function guardFilter(filter: unknown, options: GuardOptions = {}, path: Path = []): Document {
  return new Guard(options).filter(filter, path, 0);
}

/**
 * Refuses server-side JavaScript anywhere in a trusted filter or pipeline.
 *
 * @example
 * ```ts
 * assertNoJavaScript([{ $match: { $where: 'sleep(1000)' } }]) // throws ValidationError (injection.javascript)
 * ```
 */
export function assertNoJavaScript(value: unknown, path: Path = [], target?: string, depth = 0): void {
  if (depth > MAX_DEPTH * 2) reject(path, 'filter.tooDeep', 'nested too deeply', target);
  if (Array.isArray(value)) {
    value.forEach((v: unknown, i) => {
      assertNoJavaScript(v, [...path, i], target, depth + 1);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (JAVASCRIPT_OPERATORS.has(key)) {
      reject(
        [...path, key],
        'injection.javascript',
        `${key} runs JavaScript on the server and is not allowed`,
        target,
      );
    }
    assertNoJavaScript(v, [...path, key], target, depth + 1);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function isBsonValue(value: object): boolean {
  return BSON_MARKER in value;
}

class Guard {
  constructor(private readonly options: GuardOptions) {}

  filter(filter: unknown, path: Path, depth: number): Document {
    if (depth > MAX_DEPTH)
      reject(path, 'filter.tooDeep', 'the filter is nested too deeply', this.options.target);
    const node = nodeOf(filter);
    if (node?.kind === 'trusted') {
      assertNoJavaScript(node.value, path, this.options.target);
      if (!isPlainObject(node.value))
        reject(path, 'filter.invalid', 'a trusted filter must be an object', this.options.target);
      return node.value;
    }
    if (node?.kind === 'logical') {
      if (node.filters.length === 0) {
        reject(
          [...path, node.operator],
          'filter.invalid',
          `${node.operator} needs at least one filter`,
          this.options.target,
        );
      }
      return {
        [node.operator]: node.filters.map((f, i) => this.filter(f, [...path, node.operator, i], depth + 1)),
      };
    }
    if (node?.kind === 'op') {
      reject(path, 'filter.invalid', 'an operator must be the value of a field', this.options.target);
    }
    if (node?.kind === 'text') {
      const { search, language } = node;
      if (typeof search !== 'string' || search.length === 0 || search.length > 512) {
        reject(
          [...path, '$text'],
          'filter.invalid',
          'a text search needs a string of 1 to 512 characters',
          this.options.target,
        );
      }
      if (language !== undefined && (typeof language !== 'string' || !/^[a-z]{2,20}$/.test(language))) {
        reject(
          [...path, '$text', '$language'],
          'filter.invalid',
          'the language must be a language name such as "english"',
          this.options.target,
        );
      }
      return { $text: { $search: search, ...(language === undefined ? {} : { $language: language }) } };
    }
    if (!isPlainObject(filter))
      reject(path, 'filter.invalid', 'a filter must be a plain object', this.options.target);
    const out: Document = {};
    for (const [rawKey, value] of Object.entries(filter)) {
      const key = this.fieldKey(rawKey, path);
      out[key] = this.condition(value, [...path, rawKey], key, depth + 1);
    }
    return out;
  }

  private fieldKey(key: string, path: Path): string {
    const at = [...path, key];
    const target = this.options.target;
    if (key.length === 0) reject(at, 'injection.emptyKey', 'empty field names are not allowed', target);
    if (key.startsWith('$')) {
      if (JAVASCRIPT_OPERATORS.has(key) || key === '$expr') {
        reject(at, 'injection.javascript', `${key} is not accepted in a filter built from input`, target);
      }
      reject(
        at,
        'injection.operator',
        `"${key}" is an operator where a field name was expected; use op/or/and helpers`,
        target,
      );
    }
    if (FORBIDDEN_KEYS.has(key))
      reject(at, 'injection.prototype', `"${key}" is not allowed as a field name`, target);
    if (key.includes('\0')) reject(at, 'injection.nullByte', 'field names cannot contain NUL', target);
    if (key === 'id' && this.options.idAlias) return '_id';
    if (key.includes('.')) {
      const segments = key.split('.');
      if (segments.some((s) => FORBIDDEN_KEYS.has(s) || s.startsWith('$') || s.length === 0)) {
        reject(at, 'injection.dottedKey', `"${key}" is not a valid path`, target);
      }
      if (!this.options.paths?.has(key)) {
        reject(at, 'injection.dottedKey', `dotted path "${key}" is not declared on the collection`, target);
      }
    }
    return key;
  }

  /** The condition for one field: an operator node or a literal compared with `$eq`. */
  private condition(value: unknown, path: Path, field: string, depth: number): unknown {
    const node = nodeOf(value);
    if (node?.kind === 'op') return this.operator(node, path, field, depth);
    if (node !== undefined)
      reject(path, 'filter.invalid', `${node.kind} filters cannot be field values`, this.options.target);
    return { $eq: this.idValue(field, this.literal(value, path, depth), path) };
  }

  private idValue(field: string, value: unknown, path: Path): unknown {
    if (field !== '_id' || this.options.idType === 'string') return value;
    if (typeof value === 'string') {
      if (!isObjectIdString(value)) {
        reject(path, 'objectId.invalid', 'must be a 24-character hexadecimal ObjectId', this.options.target);
      }
      return ObjectId.createFromHexString(value);
    }
    if (Array.isArray(value)) return value.map((v: unknown, i) => this.idValue(field, v, [...path, i]));
    return value;
  }

  private operator(node: OpNode, path: Path, field: string, depth: number): Document {
    const target = this.options.target;
    const [name, operand] = Object.entries(node.expr)[0] ?? ['', undefined];
    const at = [...path, name];
    switch (node.check) {
      case 'value':
        return { [name]: this.idValue(field, this.literal(operand, at, depth), at) };
      case 'range': {
        const out: Document = {};
        const entries = Object.entries(node.expr);
        if (entries.length === 0) reject(path, 'filter.invalid', 'a range needs at least one bound', target);
        for (const [bound, v] of entries) {
          if (v === undefined) continue;
          out[bound] = this.idValue(field, this.literal(v, [...path, bound], depth), [...path, bound]);
        }
        return out;
      }
      case 'array': {
        if (!Array.isArray(operand)) reject(at, 'filter.invalid', `${name} needs an array`, target);
        if (operand.length > MAX_ARRAY_LENGTH)
          reject(at, 'filter.tooLarge', `${name} accepts at most ${MAX_ARRAY_LENGTH} values`, target);
        return {
          [name]: this.idValue(
            field,
            operand.map((v: unknown, i) => this.literal(v, [...at, i], depth + 1)),
            at,
          ),
        };
      }
      case 'boolean':
        if (typeof operand !== 'boolean') reject(at, 'filter.invalid', `${name} needs true or false`, target);
        return { [name]: operand };
      case 'size':
        if (typeof operand !== 'number' || !Number.isSafeInteger(operand) || operand < 0) {
          reject(at, 'filter.invalid', `${name} needs a non-negative integer`, target);
        }
        return { [name]: operand };
      case 'regex':
        return this.regex(node.expr, path, field);
      case 'prefix':
      case 'contains': {
        // startsWith / contains: the text is always a literal, escaped here.
        const text = node.expr.$regex;
        if (typeof text !== 'string')
          reject([...path, '$regex'], 'filter.invalid', 'the text to match must be a string', target);
        if (text.length > MAX_REGEX_LENGTH)
          reject(
            [...path, '$regex'],
            'injection.regex',
            `the text is longer than ${MAX_REGEX_LENGTH} characters`,
            target,
          );
        const escaped = escapeRegex(text);
        return { $regex: node.check === 'prefix' ? `^${escaped}` : escaped, $options: node.expr.$options };
      }
      case 'elemMatch':
        return { $elemMatch: this.filter(operand, at, depth + 1) };
      case 'not': {
        const inner = nodeOf(operand);
        if (inner?.kind !== 'op') reject(at, 'filter.invalid', '$not needs an operator', target);
        return { $not: this.operator(inner, at, field, depth + 1) };
      }
    }
  }

  private regex(expr: Readonly<Record<string, unknown>>, path: Path, field: string): Document {
    const target = this.options.target;
    const pattern = expr.$regex;
    const flags = expr.$options;
    if (typeof pattern !== 'string')
      reject([...path, '$regex'], 'filter.invalid', '$regex needs a string', target);
    if (typeof flags !== 'string' || !/^[imsx]*$/.test(flags)) {
      reject([...path, '$options'], 'injection.regex', 'regex flags may only be i, m, s, x', target);
    }
    if (pattern.length > MAX_REGEX_LENGTH) {
      reject(
        [...path, '$regex'],
        'injection.regex',
        `regex is longer than ${MAX_REGEX_LENGTH} characters`,
        target,
      );
    }
    if (!this.options.searchable?.has(field)) {
      return { $regex: escapeRegex(pattern), $options: flags };
    }
    if (isCatastrophic(pattern)) {
      reject(
        [...path, '$regex'],
        'injection.regex',
        'the pattern could take exponential time (nested quantifiers or backreferences)',
        target,
      );
    }
    try {
      new RegExp(pattern, flags.replace('x', ''));
    } catch {
      reject([...path, '$regex'], 'filter.invalid', 'the pattern is not a valid regular expression', target);
    }
    return { $regex: pattern, $options: flags };
  }

  /** A literal value: scalars, Dates, BSON values, arrays and sub-documents without operators. */
  private literal(value: unknown, path: Path, depth: number): unknown {
    const target = this.options.target;
    if (depth > MAX_DEPTH) reject(path, 'filter.tooDeep', 'the value is nested too deeply', target);
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return value;
    if (type === 'undefined') {
      reject(
        path,
        'filter.undefined',
        'undefined is not a value to compare with (it would match missing fields)',
        target,
      );
    }
    if (type === 'function' || type === 'symbol')
      reject(path, 'filter.invalid', `a ${type} is not a value to compare with`, target);
    if (value === null) return null;
    if (typeof value !== 'object')
      return reject(path, 'filter.invalid', 'not a value to compare with', target);
    if (nodeOf(value) !== undefined)
      reject(path, 'injection.operator', 'operators are only accepted as the value of a field', target);
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) reject(path, 'filter.invalid', 'invalid Date', target);
      return value;
    }
    if (value instanceof RegExp) {
      reject(
        path,
        'injection.regex',
        'RegExp values are not accepted; use op.regex() or op.startsWith()',
        target,
      );
    }
    if (ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) {
      if (value.length > MAX_ARRAY_LENGTH) reject(path, 'filter.tooLarge', 'the array is too long', target);
      return value.map((v: unknown, i) => this.literal(v, [...path, i], depth + 1));
    }
    if (isBsonValue(value)) return value;
    if (!isPlainObject(value))
      reject(
        path,
        'filter.invalid',
        'only plain objects, arrays, Dates and BSON values can be compared',
        target,
      );
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const at = [...path, key];
      if (key.startsWith('$')) {
        if (JAVASCRIPT_OPERATORS.has(key))
          reject(
            at,
            'injection.javascript',
            `${key} runs JavaScript on the server and is not allowed`,
            target,
          );
        reject(at, 'injection.operator', `"${key}": operators are not accepted in values`, target);
      }
      if (FORBIDDEN_KEYS.has(key))
        reject(at, 'injection.prototype', `"${key}" is not allowed as a key`, target);
      if (key === '_bsontype')
        reject(at, 'injection.bsonType', 'a plain object cannot pose as a BSON value', target);
      if (key.includes('.'))
        reject(at, 'injection.dottedKey', `dotted key "${key}" is not allowed in a value`, target);
      // The driver refuses NUL in a key only when serialising, as a BSONError; say where it is.
      if (key.includes('\0')) reject(at, 'injection.nullByte', 'keys cannot contain NUL', target);
      out[key] = this.literal(v, at, depth + 1);
    }
    return out;
  }
}

/**
 * A heuristic for regular expressions that can backtrack exponentially: a quantified group that
 * itself contains a quantifier or alternation, or a backreference.
 *
 * @example
 * ```ts
 * isCatastrophic('(a+)+$') // true
 * isCatastrophic('^ab+c')  // false
 * ```
 */
export function isCatastrophic(pattern: string): boolean {
  if (/\\[1-9]|\\k</.test(pattern)) return true;
  // A group with an inner quantifier or alternation, followed by a quantifier.
  return /\((?:[^()\\]|\\.)*(?:[+*}]|\|)(?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+(?:,\d*)?\})/.test(pattern);
}
