import { describe, expect, it } from 'vitest';
import { migrationChecksumOf } from '../../../src/core/internal.js';
import {
  migrationChecksumMatches,
  mustRunOutsideTransaction,
  splitSqlStatements,
  transactionPlan,
} from '../../../src/prisma/migrate/index.js';

describe('splitSqlStatements', () => {
  it('splits on semicolons outside quotes, dollar quotes and comments', () => {
    const script = [
      `INSERT INTO "t;1" (v) VALUES ('a;b', E'it\\'s;', 'x''y;');`,
      `-- a comment; with a semicolon`,
      `/* block; /* nested; */ still; */ SELECT 1;`,
      `CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;`,
      `CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 2; END; $body$ LANGUAGE plpgsql;`,
      `SELECT $1::int`,
    ].join('\n');
    const statements = splitSqlStatements(script);
    expect(statements).toHaveLength(5);
    expect(statements[0]).toBe(`INSERT INTO "t;1" (v) VALUES ('a;b', E'it\\'s;', 'x''y;')`);
    expect(statements[1]).toContain('SELECT 1');
    expect(statements[2]).toBe('CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql');
    expect(statements[3]).toContain('END; $body$ LANGUAGE plpgsql');
    expect(statements[4]).toBe('SELECT $1::int');
  });

  it('drops empty and comment-only statements', () => {
    expect(splitSqlStatements(';;\n-- only a comment\n;  ')).toEqual([]);
  });
});

describe('mustRunOutsideTransaction', () => {
  it.each([
    'CREATE INDEX CONCURRENTLY "i" ON "t"("c")',
    'create unique index concurrently i on t(c)',
    '-- why\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t(c)',
    'DROP INDEX CONCURRENTLY "i"',
    'REINDEX INDEX CONCURRENTLY "i"',
    'VACUUM ANALYZE "t"',
    'CREATE DATABASE x',
    'ALTER TABLE p DETACH PARTITION c CONCURRENTLY',
  ])('is true for %s', (sql) => {
    expect(mustRunOutsideTransaction(sql)).toBe(true);
  });

  it.each([
    'CREATE INDEX "i" ON "t"("c")',
    `INSERT INTO t (v) VALUES ('VACUUM')`,
    `COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY'`,
    'ALTER TYPE "Role" ADD VALUE \'OWNER\'',
  ])('is false for %s', (sql) => {
    expect(mustRunOutsideTransaction(sql)).toBe(false);
  });
});

describe('transactionPlan', () => {
  it('keeps an ordinary migration in one transaction', () => {
    expect(transactionPlan('CREATE TABLE a (id int);\nCREATE INDEX i ON a(id);\n').transactional).toBe(true);
  });
  it('runs a migration with CREATE INDEX CONCURRENTLY statement by statement', () => {
    const plan = transactionPlan('ALTER TABLE a ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY i ON a(b);\n');
    expect(plan).toMatchObject({ transactional: false, reason: 'CREATE INDEX CONCURRENTLY i ON a(b)' });
    expect(plan.statements).toHaveLength(2);
  });
  it('honours the -- dbkit:no-transaction marker, with CRLF line endings too', () => {
    const plan = transactionPlan('-- dbkit:no-transaction\r\nUPDATE a SET b = 1;\r\nUPDATE a SET b = 2;\r\n');
    expect(plan).toMatchObject({ transactional: false, reason: 'marker' });
    expect(plan.statements).toEqual(['-- dbkit:no-transaction\r\nUPDATE a SET b = 1', 'UPDATE a SET b = 2']);
  });
  it('drops a leading byte order mark from what is sent', () => {
    expect(transactionPlan('\uFEFFSELECT 1;').script).toBe('SELECT 1;');
  });
});

// Vectors from prisma-engines schema-engine/connectors/schema-connector/src/checksum.rs (tests module).
describe('migrationChecksumOf / migrationChecksumMatches, as Prisma computes and compares them', () => {
  it('is the zero-padded hex SHA-256 of the script bytes', () => {
    expect(migrationChecksumOf('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    const crlf = Buffer.from('ALTER TABLE "W" ADD COLUMN "a" TEXT;\r\n-- café\r\n', 'utf8');
    expect(migrationChecksumOf(crlf)).toBe(migrationChecksumOf(crlf.toString('utf8')));
    expect(migrationChecksumOf(crlf)).not.toBe(
      migrationChecksumOf(crlf.toString('utf8').replaceAll('\r\n', '\n')),
    );
  });

  it('accepts a script whose line endings changed, either way', () => {
    const groups = [
      ['ab\ncd\nef\ngh\rab', 'ab\r\ncd\r\nef\r\ngh\rab'],
      ['ab\ncd\nef\ngh\rab\n', 'ab\r\ncd\r\nef\r\ngh\rab\r\n'],
    ];
    for (const group of groups) {
      for (const script of group) {
        for (const other of group)
          expect(migrationChecksumMatches(script, migrationChecksumOf(other))).toBe(true);
      }
    }
  });

  it('refuses any other change', () => {
    expect(migrationChecksumMatches('abc', migrationChecksumOf('abcd'))).toBe(false);
    expect(migrationChecksumMatches('abc\n', migrationChecksumOf('abc'))).toBe(false);
  });

  it('accepts the unpadded checksums old Prisma versions recorded', () => {
    const padded = migrationChecksumOf('hello');
    const unpadded = padded.replace(/../g, (b) => b.replace(/^0/, ''));
    expect(unpadded.length).toBeLessThan(64);
    expect(migrationChecksumMatches('hello', unpadded)).toBe(true);
  });
});
