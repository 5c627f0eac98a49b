// Demo data for `npm start`: a few users with posts, comments and accounts, created through the store.
import { randomUUID } from 'node:crypto';
import type { Store } from './store.js';

/** What the seed created, so the start-up banner can suggest requests that work. */
export interface DemoData {
  userId: string;
  email: string;
  postId: string;
  accountIds: [string, string];
  /** The demo user's version, for If-Match. */
  version: number;
}

/**
 * Seeds two authors with posts, a comment and two accounts. On a database that outlives the
 * process, `uniqueEmails` keeps a second start from colliding with the first one's users.
 *
 * @example
 * ```ts
 * const demo = await seedDemo(store, { uniqueEmails: false })
 * ```
 */
export async function seedDemo(
  store: Store,
  options: { uniqueEmails: boolean } = { uniqueEmails: true },
): Promise<DemoData> {
  const tag = options.uniqueEmails ? `+${randomUUID().slice(0, 8)}` : '';
  const ada = await store.createUser(randomUUID(), {
    name: 'Ada Lovelace',
    email: `ada${tag}@example.com`,
    role: 'admin',
    addresses: [{ label: 'home', street: '12 St James Square', city: 'London', country: 'UK' }],
  });
  const grace = await store.createUser(randomUUID(), {
    name: 'Grace Hopper',
    email: `grace${tag}@example.com`,
    role: 'user',
    addresses: [],
  });
  let postId = '';
  for (const [i, title] of ['Notes on the Analytical Engine', 'On Bernoulli numbers', 'A draft'].entries()) {
    const post = await store.createPost(randomUUID(), ada.id, {
      title,
      content: `Post ${i + 1}`,
      tags: ['computing'],
      published: i < 2,
    });
    postId ||= post.id;
  }
  await store.createPost(randomUUID(), grace.id, {
    title: 'COBOL for everyone',
    content: '',
    tags: ['languages'],
    published: true,
  });
  await store.addComment(randomUUID(), postId, { authorId: grace.id, content: 'Wonderful notes.' });
  const a = await store.openAccount(randomUUID(), { ownerId: ada.id, balance: 1_000 });
  const b = await store.openAccount(randomUUID(), { ownerId: grace.id, balance: 250 });
  return { userId: ada.id, email: ada.email, postId, accountIds: [a.id, b.id], version: ada.version };
}
