// The engine definitions by name, and parsing engine lists such as DBKIT_ENGINES=postgres,dynamodb.
import { dynamodbLocal } from './dynamodb-local.js';
import { ferretdb } from './ferretdb.js';
import { mongoJavaServer } from './mongo-java-server.js';
import { postgres } from './postgres.js';
import type { EngineDefinition, EngineName } from './types.js';

/**
 * Every engine dbkit can provision, in start order.
 *
 * @example
 * ```ts
 * ENGINE_NAMES.includes('ferretdb'); // true
 * ```
 */
export const ENGINE_NAMES: readonly EngineName[] = ['postgres', 'dynamodb', 'ferretdb', 'mongo-java-server'];

const DEFINITIONS: Readonly<Record<EngineName, EngineDefinition>> = {
  postgres,
  dynamodb: dynamodbLocal,
  ferretdb,
  'mongo-java-server': mongoJavaServer,
};

const ALIASES: Readonly<Record<string, readonly EngineName[]>> = {
  all: ENGINE_NAMES,
  pg: ['postgres'],
  postgresql: ['postgres'],
  dynamo: ['dynamodb'],
  'dynamodb-local': ['dynamodb'],
  mongo: ['ferretdb', 'mongo-java-server'],
  mongodb: ['ferretdb', 'mongo-java-server'],
};

/**
 * The definition of one engine.
 *
 * @example
 * ```ts
 * engineDefinition('dynamodb').envVar; // 'DYNAMODB_ENDPOINT'
 * ```
 */
export function engineDefinition(name: EngineName): EngineDefinition {
  return DEFINITIONS[name];
}

/**
 * True when `value` names an engine.
 *
 * @example
 * ```ts
 * isEngineName('postgres'); // true
 * ```
 */
export function isEngineName(value: string): value is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(value);
}

/**
 * Parses a comma- or space-separated engine list (`all`, `none`, names and aliases such as `pg`,
 * `dynamo`, `mongo`); undefined or empty means all. Throws on an unknown name.
 *
 * @example
 * ```ts
 * parseEngineList('pg,dynamo'); // ['postgres', 'dynamodb']
 * parseEngineList('mongo');     // ['ferretdb', 'mongo-java-server']
 * ```
 */
export function parseEngineList(value: string | readonly string[] | undefined): EngineName[] {
  const words = (typeof value === 'string' ? [value] : (value ?? []))
    .flatMap((v) => v.split(/[\s,]+/))
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w !== '');
  if (words.length === 0) return [...ENGINE_NAMES];
  if (words.includes('none')) return [];
  const picked = new Set<EngineName>();
  for (const word of words) {
    const names = isEngineName(word) ? [word] : ALIASES[word];
    if (names === undefined) {
      throw new Error(
        `unknown engine "${word}"; known: ${ENGINE_NAMES.join(', ')}, or all, none, pg, dynamo, mongo`,
      );
    }
    for (const n of names) picked.add(n);
  }
  return ENGINE_NAMES.filter((n) => picked.has(n));
}
