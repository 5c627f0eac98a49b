// Shared fixtures of the kit's tests: the project's Prisma migrations and row shapes of its User and Post tables.
import { fileURLToPath } from 'node:url';

export const migrationsDir = fileURLToPath(new URL('../../../prisma/migrations/', import.meta.url));

/** The `User` and `Post` tables of prisma/schema.prisma, as plain SQL rows. */
export interface ProjectRows extends Record<string, Record<string, unknown>> {
  User: { id: string; name: string; email: string; updatedAt: Date; role?: 'MEMBER' | 'ADMIN' };
  Post: { id: string; authorId: string; title: string; published?: boolean };
}

/** A user and a post of theirs, listed child first: only a loader that orders by foreign keys can insert it. */
export const childFirst = {
  Post: [{ id: 'p1', authorId: 'u1', title: 'Hello' }],
  User: [{ id: 'u1', name: 'Ada', email: 'ada@example.com', updatedAt: new Date('2026-01-01T00:00:00Z') }],
};
