// Where a test run gets its engines: mongodb-memory-server or Testcontainers when installed and working, else dbkit's built-in engines.
import { ensureEngine, envOverride } from '../engines/provision.js';

/** The engine families a provider can start. */
export type EngineKind = 'postgres' | 'mongodb' | 'dynamodb';

/** The providers the kit knows. */
export type ProviderName = 'builtin' | 'mongodb-memory-server' | 'testcontainers';

/**
 * A running engine from some provider: its URL and how to stop it (a no-op for the built-in
 * engines, which are shared across runs and stopped by `dbkit engines down`).
 *
 * @example
 * ```ts
 * const engine: ProvidedEngine = { kind: 'postgres', provider: 'builtin', url: 'postgresql://…', stop: async () => {} };
 * ```
 */
export interface ProvidedEngine {
  readonly kind: EngineKind;
  readonly provider: ProviderName;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * One way of getting engines. `start` throws (with a one-line reason) when it cannot.
 *
 * @example
 * ```ts
 * const mine: EngineProvider = { name: 'builtin', supports: () => true, start: (kind) => builtinProvider().start(kind) };
 * ```
 */
export interface EngineProvider {
  readonly name: ProviderName;
  supports(kind: EngineKind): boolean;
  start(kind: EngineKind): Promise<ProvidedEngine>;
}

/** The result of {@link provideEngine}: the first provider that worked, and why the others did not. */
export type ProvideOutcome =
  | { readonly status: 'ready'; readonly engine: ProvidedEngine; readonly skipped: readonly ProviderSkip[] }
  | { readonly status: 'unavailable'; readonly skipped: readonly ProviderSkip[] };

/** A provider that was tried and failed or did not apply, with the reason. */
export interface ProviderSkip {
  readonly provider: ProviderName;
  readonly reason: string;
}

const reasonOf = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

// A specifier in a variable: the optional packages are neither dependencies nor type-checked against.
async function optionalImport(name: string): Promise<unknown> {
  try {
    return (await import(/* @vite-ignore */ name)) as unknown;
  } catch (err) {
    throw new Error(`${name} is not installed (${reasonOf(err)})`, { cause: err });
  }
}

/**
 * dbkit's own engines (`ensureEngine`): PostgreSQL, DynamoDB Local, and for MongoDB the stand-in
 * `mongoEngine` (mongo-java-server by default; `MONGODB_URI` wins when set).
 *
 * @example
 * ```ts
 * const pg = await builtinProvider().start('postgres');
 * ```
 */
export function builtinProvider(
  options: { mongoEngine?: 'ferretdb' | 'mongo-java-server' } = {},
): EngineProvider {
  return {
    name: 'builtin',
    supports: () => true,
    async start(kind) {
      const name = kind === 'mongodb' ? (options.mongoEngine ?? 'mongo-java-server') : kind;
      const outcome = await ensureEngine(name);
      if (outcome.status !== 'ready') throw new Error(outcome.reason);
      return { kind, provider: 'builtin', url: outcome.url, stop: () => Promise.resolve() };
    },
  };
}

interface MemoryServerModule {
  MongoMemoryServer: { create(): Promise<{ getUri(): string; stop(): Promise<unknown> }> };
}

/**
 * `mongodb-memory-server` (an optional peer dependency): a real `mongod` per run, downloaded by that
 * package. Needs the binary for your platform; it does not run on dbkit's own CI machines.
 *
 * @example
 * ```ts
 * const mongo = await memoryServerProvider().start('mongodb');
 * ```
 */
export function memoryServerProvider(): EngineProvider {
  return {
    name: 'mongodb-memory-server',
    supports: (kind) => kind === 'mongodb',
    async start(kind) {
      const mod = (await optionalImport('mongodb-memory-server')) as MemoryServerModule;
      const server = await mod.MongoMemoryServer.create();
      return {
        kind,
        provider: 'mongodb-memory-server',
        url: server.getUri(),
        stop: async () => {
          await server.stop();
        },
      };
    },
  };
}

interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface ContainerBuilder {
  withExposedPorts(...ports: number[]): ContainerBuilder;
  withEnvironment(env: Record<string, string>): ContainerBuilder;
  withWaitStrategy(strategy: unknown): ContainerBuilder;
  start(): Promise<StartedContainer>;
}
interface TestcontainersModule {
  GenericContainer: new (image: string) => ContainerBuilder;
  Wait: { forLogMessage(message: RegExp | string, times?: number): unknown };
}

/** Images the Testcontainers provider runs, by engine kind. */
export const CONTAINER_IMAGES: Readonly<Record<EngineKind, string>> = {
  postgres: 'postgres:16-alpine',
  mongodb: 'mongo:7',
  dynamodb: 'amazon/dynamodb-local:2.6.1',
};

/**
 * Testcontainers (an optional peer dependency): the engine's official image in Docker, stopped by
 * `stop()`. Needs a container runtime; it does not run on dbkit's own CI machines.
 *
 * @example
 * ```ts
 * const pg = await testcontainersProvider().start('postgres');
 * ```
 */
export function testcontainersProvider(images: Partial<Record<EngineKind, string>> = {}): EngineProvider {
  return {
    name: 'testcontainers',
    supports: () => true,
    async start(kind) {
      const { GenericContainer, Wait } = (await optionalImport('testcontainers')) as TestcontainersModule;
      const image = images[kind] ?? CONTAINER_IMAGES[kind];
      const port = { postgres: 5432, mongodb: 27017, dynamodb: 8000 }[kind];
      let builder = new GenericContainer(image).withExposedPorts(port);
      if (kind === 'postgres') {
        // the official image restarts once after init: wait for the second "ready" line
        builder = builder
          .withEnvironment({ POSTGRES_PASSWORD: 'test', POSTGRES_USER: 'test', POSTGRES_DB: 'test' })
          .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2));
      }
      const container = await builder.start();
      const host = container.getHost();
      const mapped = container.getMappedPort(port);
      const url = {
        postgres: `postgresql://test:test@${host}:${mapped}/test`,
        mongodb: `mongodb://${host}:${mapped}/?directConnection=true`,
        dynamodb: `http://${host}:${mapped}`,
      }[kind];
      return {
        kind,
        provider: 'testcontainers',
        url,
        stop: async () => {
          await container.stop();
        },
      };
    },
  };
}

const ENV_ENGINE = { postgres: 'postgres', dynamodb: 'dynamodb', mongodb: 'mongo-java-server' } as const;

/**
 * The default provider order: the built-in engine first when its environment variable
 * (`DATABASE_URL`, `DYNAMODB_ENDPOINT`, `MONGODB_URI`) is set, since that is your explicit choice;
 * else mongodb-memory-server (MongoDB only), Testcontainers, then the built-in engines.
 *
 * @example
 * ```ts
 * defaultProviders('mongodb').map((p) => p.name); // ['mongodb-memory-server', 'testcontainers', 'builtin']
 * ```
 */
export function defaultProviders(kind: EngineKind, env: NodeJS.ProcessEnv = process.env): EngineProvider[] {
  const builtin = builtinProvider();
  if (envOverride(ENV_ENGINE[kind], env) !== undefined) return [builtin];
  return [memoryServerProvider(), testcontainersProvider(), builtin].filter((p) => p.supports(kind));
}

/**
 * Tries providers in order and returns the first engine that starts, with the reasons the others
 * were passed over. Call it once per run (a vitest `globalSetup`, a jest `globalSetup`) and hand the
 * URL to your test files; stop the engine in the teardown.
 *
 * @example
 * ```ts
 * const outcome = await provideEngine('mongodb');
 * if (outcome.status === 'ready') process.env.MONGODB_URI = outcome.engine.url;
 * ```
 */
export async function provideEngine(
  kind: EngineKind,
  providers: readonly EngineProvider[] = defaultProviders(kind),
): Promise<ProvideOutcome> {
  const skipped: ProviderSkip[] = [];
  for (const provider of providers) {
    if (!provider.supports(kind)) {
      skipped.push({ provider: provider.name, reason: `does not provide ${kind}` });
      continue;
    }
    try {
      return { status: 'ready', engine: await provider.start(kind), skipped };
    } catch (err) {
      skipped.push({ provider: provider.name, reason: reasonOf(err) });
    }
  }
  return { status: 'unavailable', skipped };
}
