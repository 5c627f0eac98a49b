// The example service's domain: zod schemas for what crosses the HTTP boundary, and the types they infer.
import { z } from 'zod';

export const Role = z.enum(['user', 'admin', 'moderator']);

/** One postal address; a user keeps at most five, embedded where the engine allows it. */
export const Address = z.object({
  label: z.string().trim().min(1).max(50),
  street: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  country: z.string().trim().min(2).max(100),
});

/** Emails are stored trimmed and lowercased, so `Ada@Example.com ` and `ada@example.com` are one user. */
export const Email = z.string().trim().toLowerCase().pipe(z.email().max(254));

export const NewUser = z.object({
  name: z.string().trim().min(1).max(200),
  email: Email,
  role: Role.default('user'),
  addresses: z.array(Address).max(5).default([]),
});

export const UserPatch = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: Email,
    role: Role,
    addresses: z.array(Address).max(5),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'at least one field must change' });

export const User = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: Role,
  addresses: z.array(Address),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const NewPost = z.object({
  title: z.string().trim().min(1).max(300),
  content: z.string().max(50_000).default(''),
  tags: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
  published: z.boolean().default(false),
});

export const Post = z.object({
  id: z.string(),
  authorId: z.string(),
  title: z.string(),
  content: z.string(),
  tags: z.array(z.string()),
  published: z.boolean(),
  likeCount: z.number().int(),
  createdAt: z.string(),
});

export const NewComment = z.object({
  authorId: z.uuid(),
  content: z.string().trim().min(1).max(5_000),
});

export const Comment = z.object({
  id: z.string(),
  postId: z.string(),
  authorId: z.string(),
  content: z.string(),
  createdAt: z.string(),
});

export const NewAccount = z.object({
  ownerId: z.uuid(),
  balance: z.number().int().min(0).max(1_000_000_000).default(0),
});

export const Account = z.object({
  id: z.string(),
  ownerId: z.string(),
  balance: z.number().int(),
  createdAt: z.string(),
});

export const NewTransfer = z
  .object({
    fromId: z.uuid(),
    toId: z.uuid(),
    amount: z.number().int().positive().max(1_000_000_000),
  })
  .refine((t) => t.fromId !== t.toId, { message: 'cannot transfer to the same account', path: ['toId'] });

export const Transfer = z.object({
  id: z.string(),
  fromId: z.string(),
  toId: z.string(),
  amount: z.number().int(),
  idempotencyKey: z.string(),
  createdAt: z.string(),
});

export const NewSession = z.object({
  userId: z.uuid(),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .default(3600),
});

export const Session = z.object({
  token: z.string(),
  userId: z.string(),
  expiresAt: z.string(),
});

export const TopAuthor = z.object({
  authorId: z.string(),
  name: z.string(),
  publishedCount: z.number().int(),
  latestPostTitle: z.string(),
});

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(4096).optional(),
});

export const IdParams = z.object({ id: z.uuid() });

export type Role = z.infer<typeof Role>;
export type Address = z.infer<typeof Address>;
export type NewUser = z.output<typeof NewUser>;
export type UserPatch = z.output<typeof UserPatch>;
export type User = z.infer<typeof User>;
export type NewPost = z.output<typeof NewPost>;
export type Post = z.infer<typeof Post>;
export type NewComment = z.output<typeof NewComment>;
export type Comment = z.infer<typeof Comment>;
export type NewAccount = z.output<typeof NewAccount>;
export type Account = z.infer<typeof Account>;
export type NewTransfer = z.output<typeof NewTransfer>;
export type Transfer = z.infer<typeof Transfer>;
export type NewSession = z.output<typeof NewSession>;
export type Session = z.infer<typeof Session>;
export type TopAuthor = z.infer<typeof TopAuthor>;
