// Splits a PostgreSQL script into statements (quotes, dollar quotes and comments respected) and finds those PostgreSQL refuses inside a transaction.

/** The marker comment that makes a migration run statement by statement, outside a transaction. */
export const NO_TRANSACTION_MARKER = '-- dbkit:no-transaction';

function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return i;
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return i;
}

const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/u;

/**
 * Splits a PostgreSQL script into its statements, as the server would: semicolons inside string
 * literals (`'…'`, `E'…'`), quoted identifiers, dollar-quoted bodies (`$$…$$`, `$fn$…$fn$`) and
 * comments (`--`, nested `/* … *\/`) do not end a statement. Statements are returned trimmed,
 * comments kept; empty statements are dropped.
 *
 * @example
 * ```ts
 * splitSqlStatements("SELECT ';'; CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;")
 * // ["SELECT ';'", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql"]
 * ```
 */
export function splitSqlStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number): void => {
    const text = script.slice(start, end).trim();
    if (stripComments(text).trim() !== '') out.push(text);
  };
  while (i < script.length) {
    const c = script[i];
    if (c === "'") {
      const escapes = /[Ee]/u.test(script[i - 1] ?? '') && !/[\w$]/u.test(script[i - 2] ?? ' ');
      i = skipQuoted(script, i, "'", escapes);
    } else if (c === '"') i = skipQuoted(script, i, '"', false);
    else if (c === '-' && script[i + 1] === '-') {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? script.length : nl + 1;
    } else if (c === '/' && script[i + 1] === '*') i = skipBlockComment(script, i);
    else if (c === '$' && !/[\w$]/u.test(script[i - 1] ?? ' ')) {
      const tag = DOLLAR_TAG.exec(script.slice(i, i + 64))?.[0];
      if (tag === undefined) i++;
      else {
        const end = script.indexOf(tag, i + tag.length);
        i = end === -1 ? script.length : end + tag.length;
      }
    } else if (c === ';') {
      push(i);
      i++;
      start = i;
    } else i++;
  }
  push(script.length);
  return out;
}

/** The statement without its comments (string contents kept), for keyword matching. */
function stripComments(statement: string): string {
  let out = '';
  let i = 0;
  while (i < statement.length) {
    const c = statement[i];
    if (c === "'" || c === '"') {
      const end = skipQuoted(statement, i, c, false);
      out += statement.slice(i, end);
      i = end;
    } else if (c === '-' && statement[i + 1] === '-') {
      const nl = statement.indexOf('\n', i);
      i = nl === -1 ? statement.length : nl + 1;
      out += ' ';
    } else if (c === '/' && statement[i + 1] === '*') {
      i = skipBlockComment(statement, i);
      out += ' ';
    } else {
      out += statement.charAt(i);
      i++;
    }
  }
  return out;
}

// Statements PostgreSQL refuses inside a transaction block ("cannot run inside a transaction block").
const NON_TRANSACTIONAL: readonly RegExp[] = [
  /^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/iu,
  /^DROP\s+INDEX\s+CONCURRENTLY\b/iu,
  /^REINDEX\b.*\bCONCURRENTLY\b/isu,
  /^REINDEX\s+(SYSTEM|DATABASE)\b/iu,
  /^ALTER\s+TABLE\b.*\bDETACH\s+PARTITION\b.*\bCONCURRENTLY\b/isu,
  /^VACUUM\b/iu,
  /^(CREATE|DROP)\s+DATABASE\b/iu,
  /^(CREATE|DROP)\s+TABLESPACE\b/iu,
  /^ALTER\s+SYSTEM\b/iu,
  /^(CREATE|ALTER|DROP)\s+SUBSCRIPTION\b/iu,
];

/**
 * Whether PostgreSQL refuses to run this statement inside a transaction block (`CREATE INDEX
 * CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `VACUUM`, `CREATE DATABASE`, …).
 *
 * @example
 * ```ts
 * mustRunOutsideTransaction('CREATE INDEX CONCURRENTLY "i" ON "t"("c")') // true
 * ```
 */
export function mustRunOutsideTransaction(statement: string): boolean {
  const text = stripComments(statement).trim();
  return NON_TRANSACTIONAL.some((re) => re.test(text));
}
