// checkDrift: the project's own schema shows no drift on a migrated database; changes behind Prisma's back are listed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDrift, loadDatamodel, sqlSource } from '../../../src/prisma/migrate/index.js';
import type { DmmfDatamodel, SqlSessionSource } from '../../../src/prisma/migrate/index.js';
import { describeEngine } from '../../helpers/engines.js';
import { openPglite, openPostgres, schemaPath } from '../support.js';
import type { TestDb } from '../support.js';

function suite(open: () => Promise<TestDb>): void {
  let db: TestDb;
  let source: SqlSessionSource;
  let datamodel: DmmfDatamodel;
  beforeAll(async () => {
    db = await open();
    source = sqlSource(db.pglite ?? db.pool!);
    datamodel = await loadDatamodel({ schemaPath });
  });
  afterAll(async () => {
    await db.close();
  });

  it('finds no drift between the migrated database and prisma/schema.prisma', async () => {
    const report = await checkDrift(source, { schemaPath });
    expect(report.differences).toEqual([]);
    expect(report.inSync).toBe(true);
  });

  it('lists a column dropped behind Prisma’s back', async () => {
    await db.sql('ALTER TABLE "Post" DROP COLUMN "likeCount"');
    const report = await checkDrift(source, { datamodel });
    expect(report.inSync).toBe(false);
    expect(report.differences).toEqual([
      expect.objectContaining({
        kind: 'missingColumn',
        table: 'Post',
        column: 'likeCount',
        expected: 'integer NOT NULL',
      }),
    ]);
  });

  it('lists every other kind of change: type, nullability, unique, index, extra table and column', async () => {
    await db.sql(`
      ALTER TABLE "User" ALTER COLUMN "name" TYPE VARCHAR(50);
      ALTER TABLE "Post" ALTER COLUMN "title" DROP NOT NULL;
      DROP INDEX "User_email_key";
      CREATE INDEX "Session_token_idx" ON "Session"("token");
      DROP INDEX "Account_ownerId_idx";
      ALTER TABLE "Comment" ADD COLUMN "spam" BOOLEAN;
      CREATE TABLE "Stray" (id INT PRIMARY KEY);
    `);
    const report = await checkDrift(source, { datamodel });
    const kinds = report.differences.map(
      (d) => `${d.kind} ${d.table ?? ''}.${d.column ?? d.expected ?? d.actual ?? ''}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'missingColumn Post.likeCount',
        'typeMismatch User.name',
        'nullabilityMismatch Post.title',
        'missingUnique User.email',
        'extraIndex Session.token',
        'missingIndex Account.ownerId',
        'extraColumn Comment.spam',
        'extraTable Stray.',
      ]),
    );
    expect(report.differences.find((d) => d.kind === 'typeMismatch')).toMatchObject({
      expected: 'text',
      actual: 'character varying(50)',
    });
    expect(report.differences).toHaveLength(8);
  });
}

describe('[pglite] checkDrift', () => {
  suite(() => openPglite());
});

describeEngine('postgres', (serverUrl) => {
  describe('checkDrift', () => {
    suite(() => openPostgres(serverUrl));
  });
});
