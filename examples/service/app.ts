// The example HTTP API, written once over a Store: Fastify routes with zod schemas, OpenAPI, problem details.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ThrottledError, ValidationError, isDbkitError, toProblemDetails } from 'dbkit';
import type { ValidationIssue } from 'dbkit';
import {
  Account,
  Comment,
  IdParams,
  NewAccount,
  NewComment,
  NewPost,
  NewSession,
  NewTransfer,
  NewUser,
  PageQuery,
  Post,
  Session,
  TopAuthor,
  Transfer,
  User,
  UserPatch,
} from './domain.js';
import type { Store } from './store.js';

/** Options for {@link buildApp}. */
export interface AppOptions {
  store: Store;
  /** Pino options or `false`; default: no request logging. */
  logger?: boolean | Record<string, unknown>;
}

const PageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Resolves to the record, or throws the NotFoundError the API answers with a 404. */
async function found<T>(lookup: Promise<T | null>, what: string, id: string): Promise<T> {
  const record = await lookup;
  if (record === null) throw new NotFoundError(`${what} ${id} not found`, { code: 'not_found' });
  return record;
}

function sendProblem(reply: FastifyReply, err: unknown, instance: string): FastifyReply {
  const problem = toProblemDetails(err, { instance });
  if (err instanceof ThrottledError)
    reply.header('retry-after', String(Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000))));
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

function issuesFromFastify(err: FastifyError & { validationContext?: string }): ValidationIssue[] {
  if (!hasZodFastifySchemaValidationErrors(err))
    return [{ path: [err.validationContext ?? 'request'], message: err.message }];
  return err.validation.map((v) => ({
    path: [
      err.validationContext ?? 'request',
      ...v.instancePath
        .split('/')
        .filter((s) => s.length > 0)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
    ],
    message: v.message ?? 'invalid',
    code: v.keyword,
  }));
}

function parseIfMatch(header: string | undefined): number {
  const match = /^(?:W\/)?"(\d+)"$/.exec(header?.trim() ?? '');
  if (!match) {
    throw new ValidationError([
      {
        path: ['headers', 'if-match'],
        message: 'send If-Match with the version you read, e.g. "3"',
        code: 'precondition_required',
      },
    ]);
  }
  return Number(match[1]);
}

/**
 * Builds the example service over a store. The same routes, validation and error mapping serve
 * every engine; only the store differs.
 *
 * @example
 * ```ts
 * const app = await buildApp({ store: await openStore('pglite') })
 * await app.listen({ port: 3000 })
 * ```
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { store } = options;
  const app = Fastify({ logger: options.logger ?? false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: { info: { title: 'dbkit example service', version: '1.0.0' }, servers: [] },
    transform: jsonSchemaTransform,
  });

  app.setErrorHandler((err: FastifyError & { validationContext?: string }, request, reply) => {
    if (err.validation) return sendProblem(reply, new ValidationError(issuesFromFastify(err)), request.url);
    if (!isDbkitError(err)) request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, err, request.url);
  });

  app.get('/health', () => ({ status: 'ok', engine: store.engine }));
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.post('/users', { schema: { body: NewUser, response: { 201: User } } }, async (req, reply) => {
    return reply.code(201).send(await store.createUser(randomUUID(), req.body));
  });
  app.get(
    '/users',
    { schema: { querystring: z.object({ email: z.string().max(254) }), response: { 200: User } } },
    async (req) => {
      return found(
        store.getUserByEmail(req.query.email.trim().toLowerCase()),
        'user with email',
        req.query.email,
      );
    },
  );
  app.get('/users/:id', { schema: { params: IdParams, response: { 200: User } } }, async (req, reply) => {
    const user = await found(store.getUser(req.params.id), 'user', req.params.id);
    return reply.header('etag', `"${user.version}"`).send(user);
  });
  app.patch(
    '/users/:id',
    { schema: { params: IdParams, body: UserPatch, response: { 200: User } } },
    async (req, reply) => {
      const expected = parseIfMatch(req.headers['if-match']);
      const user = await store.updateUser(req.params.id, req.body, expected);
      return reply.header('etag', `"${user.version}"`).send(user);
    },
  );

  app.post(
    '/users/:id/posts',
    { schema: { params: IdParams, body: NewPost, response: { 201: Post } } },
    async (req, reply) => {
      await found(store.getUser(req.params.id), 'user', req.params.id);
      return reply.code(201).send(await store.createPost(randomUUID(), req.params.id, req.body));
    },
  );
  app.get(
    '/users/:id/posts',
    { schema: { params: IdParams, querystring: PageQuery, response: { 200: PageOf(Post) } } },
    async (req) => {
      const page = await store.listPostsByAuthor(req.params.id, {
        limit: req.query.limit,
        cursor: req.query.cursor,
      });
      return { items: page.items, nextCursor: page.cursor };
    },
  );
  app.get('/posts/:id', { schema: { params: IdParams, response: { 200: Post } } }, async (req) => {
    return await found(store.getPost(req.params.id), 'post', req.params.id);
  });
  app.post(
    '/posts/:id/like',
    { schema: { params: IdParams, response: { 200: z.object({ likeCount: z.number() }) } } },
    async (req) => ({
      likeCount: await store.likePost(req.params.id),
    }),
  );
  app.post(
    '/posts/:id/comments',
    { schema: { params: IdParams, body: NewComment, response: { 201: Comment } } },
    async (req, reply) => {
      await found(store.getPost(req.params.id), 'post', req.params.id);
      return reply.code(201).send(await store.addComment(randomUUID(), req.params.id, req.body));
    },
  );
  app.get(
    '/posts/:id/comments',
    { schema: { params: IdParams, querystring: PageQuery, response: { 200: PageOf(Comment) } } },
    async (req) => {
      const page = await store.listComments(req.params.id, {
        limit: req.query.limit,
        cursor: req.query.cursor,
      });
      return { items: page.items, nextCursor: page.cursor };
    },
  );

  app.get('/reports/top-authors', { schema: { response: { 200: z.array(TopAuthor) } } }, () =>
    store.topAuthors(10),
  );

  app.post('/accounts', { schema: { body: NewAccount, response: { 201: Account } } }, async (req, reply) => {
    await found(store.getUser(req.body.ownerId), 'user', req.body.ownerId);
    return reply.code(201).send(await store.openAccount(randomUUID(), req.body));
  });
  app.get('/accounts/:id', { schema: { params: IdParams, response: { 200: Account } } }, async (req) => {
    return await found(store.getAccount(req.params.id), 'account', req.params.id);
  });
  app.post(
    '/transfers',
    {
      schema: {
        body: NewTransfer,
        headers: z.object({ 'idempotency-key': z.string().min(8).max(200) }),
        response: { 201: Transfer },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await store.transfer(randomUUID(), req.headers['idempotency-key'], req.body)),
  );

  app.post('/sessions', { schema: { body: NewSession, response: { 201: Session } } }, async (req, reply) => {
    await found(store.getUser(req.body.userId), 'user', req.body.userId);
    return reply.code(201).send(await store.createSession(randomUUID(), req.body));
  });
  app.get(
    '/sessions/:token',
    { schema: { params: z.object({ token: z.uuid() }), response: { 200: Session } } },
    async (req) => {
      return await found(store.getSession(req.params.token), 'session', req.params.token);
    },
  );

  app.addHook('onClose', () => store.close());
  return app;
}
