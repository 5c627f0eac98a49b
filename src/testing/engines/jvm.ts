// Java and Maven prerequisites for the JVM engines, and fetching their jars from Maven Central.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MissingPrerequisiteError } from './errors.js';
import { runCommand, which } from './exec.js';
import type { EngineName } from './types.js';

/**
 * A Maven artifact to put on an engine's classpath.
 *
 * @example
 * ```ts
 * const dep: MavenDependency = { groupId: 'com.amazonaws', artifactId: 'DynamoDBLocal', version: '2.6.1' };
 * ```
 */
export interface MavenDependency {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  readonly type?: string;
}

/** Who needs the prerequisite, for the one-line message. */
interface Needer {
  readonly engine: EngineName;
  readonly title: string;
  readonly envVar: string;
}

/**
 * The major version of a `java -version` banner (`1.8.0_292` is 8).
 *
 * @example
 * ```ts
 * javaMajor('openjdk version "17.0.15" 2025-04-15'); // 17
 * ```
 */
export function javaMajor(banner: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(banner);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/**
 * Finds `java` (and `javac` when `needCompiler`) on the `PATH` of `env`, at least version
 * `minMajor`, or throws a {@link MissingPrerequisiteError} naming the way out.
 *
 * @example
 * ```ts
 * const needer = { engine: 'dynamodb', title: 'DynamoDB Local', envVar: 'DYNAMODB_ENDPOINT' } as const;
 * const java = await requireJava(needer, 17, false, process.env);
 * ```
 */
export async function requireJava(
  needer: Needer,
  minMajor: number,
  needCompiler = false,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const way = `install one (apt-get install openjdk-17-jdk-headless) or set ${needer.envVar}`;
  const java = which('java', env);
  if (java === undefined) {
    throw new MissingPrerequisiteError(
      needer.engine,
      `${needer.title} needs a JDK: no \`java\` found; ${way}`,
    );
  }
  const { stdout, stderr } = await runCommand(java, ['-version'], { timeoutMs: 30_000, env });
  const major = javaMajor(`${stderr}\n${stdout}`);
  if (major === undefined || major < minMajor) {
    throw new MissingPrerequisiteError(
      needer.engine,
      `${needer.title} needs Java ${minMajor}+: \`java\` is version ${major ?? 'unknown'}; ${way}`,
    );
  }
  if (needCompiler && which('javac', env) === undefined) {
    throw new MissingPrerequisiteError(
      needer.engine,
      `${needer.title} needs a JDK with \`javac\`: only a JRE found; ${way}`,
    );
  }
  return java;
}

/**
 * Finds `mvn` on the `PATH` of `env` or throws a {@link MissingPrerequisiteError} naming the way out.
 *
 * @example
 * ```ts
 * const mvn = requireMaven({ engine: 'dynamodb', title: 'DynamoDB Local', envVar: 'DYNAMODB_ENDPOINT' });
 * ```
 */
export function requireMaven(needer: Needer, env: NodeJS.ProcessEnv = process.env): string {
  const mvn = which('mvn', env);
  if (mvn === undefined) {
    throw new MissingPrerequisiteError(
      needer.engine,
      `${needer.title} is fetched from Maven Central with Maven: no \`mvn\` found; install it (apt-get install maven) or set ${needer.envVar}`,
    );
  }
  return mvn;
}

/** Maven's local repository is not safe for concurrent writers: one mvn at a time per process. */
let mavenQueue: Promise<unknown> = Promise.resolve();

/**
 * Writes a throwaway pom listing `dependencies` into `dir` and copies them, with everything they
 * depend on, into `outputDir` (`mvn dependency:copy-dependencies`).
 *
 * @example
 * ```ts
 * await copyDependencies('/usr/bin/mvn', dir, join(dir, 'lib'), [{ groupId: 'g', artifactId: 'a', version: '1' }]);
 * ```
 */
export function copyDependencies(
  mvn: string,
  dir: string,
  outputDir: string,
  dependencies: readonly MavenDependency[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const run = async (): Promise<void> => {
    await writeFile(join(dir, 'pom.xml'), pom(dependencies));
    await runCommand(
      mvn,
      ['-B', '-q', '-Dstyle.color=never', 'dependency:copy-dependencies', `-DoutputDirectory=${outputDir}`],
      { cwd: dir, timeoutMs: 900_000, env },
    );
  };
  const result = mavenQueue.then(run, run);
  mavenQueue = result.catch(() => undefined);
  return result;
}

function pom(dependencies: readonly MavenDependency[]): string {
  const deps = dependencies
    .map(
      (d) =>
        `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId>` +
        `<version>${d.version}</version>${d.type === undefined ? '' : `<type>${d.type}</type>`}</dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dbkit.engines</groupId>
  <artifactId>classpath</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}
