// The tables, columns, types, keys and indexes a Prisma schema describes, as PostgreSQL would show them.
import { readFile } from 'node:fs/promises';

/** The parts of a DMMF field drift checking reads. */
export interface DmmfField {
  name: string;
  kind: string;
  type: string;
  dbName?: string | null;
  isList: boolean;
  isRequired: boolean;
  nativeType?: readonly [string, readonly string[]] | null;
}
/** The parts of a DMMF model drift checking reads. */
export interface DmmfModel {
  name: string;
  dbName?: string | null;
  fields: readonly DmmfField[];
}
/** The parts of a DMMF datamodel drift checking reads (`getDMMF().datamodel`). */
export interface DmmfDatamodel {
  models: readonly DmmfModel[];
  enums: readonly {
    name: string;
    dbName?: string | null;
    values: readonly { name: string; dbName?: string | null }[];
  }[];
  indexes: readonly {
    model: string;
    type: string;
    dbName?: string | null;
    fields: readonly { name: string }[];
  }[];
}

/** One column as expected (or found). */
export interface ColumnShape {
  name: string;
  /** As `format_type()` prints it, unquoted: `text`, `timestamp(3) without time zone`, `Role[]`. */
  type: string;
  nullable: boolean;
}
/** One index, unique constraint or primary key. */
export interface IndexShape {
  kind: 'primary' | 'unique' | 'index';
  columns: readonly string[];
  name?: string;
}
/** One table. */
export interface TableShape {
  name: string;
  /** The Prisma model, when the shape comes from the schema. */
  model?: string;
  columns: readonly ColumnShape[];
  indexes: readonly IndexShape[];
}
/** A whole schema's shape. */
export interface SchemaShape {
  tables: readonly TableShape[];
  enums: ReadonlyMap<string, readonly string[]>;
}

const SCALAR_TYPES: Readonly<Record<string, string>> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function nativeType(name: string, args: readonly string[]): string {
  const a = args.length > 0 ? `(${args.join(',')})` : '';
  const simple: Readonly<Record<string, string>> = {
    Text: 'text',
    Uuid: 'uuid',
    Integer: 'integer',
    SmallInt: 'smallint',
    BigInt: 'bigint',
    Oid: 'oid',
    DoublePrecision: 'double precision',
    Real: 'real',
    Money: 'money',
    Date: 'date',
    Boolean: 'boolean',
    Json: 'json',
    JsonB: 'jsonb',
    ByteA: 'bytea',
    Xml: 'xml',
    Inet: 'inet',
    Citext: 'citext',
  };
  const known = simple[name];
  if (known !== undefined) return known;
  switch (name) {
    case 'VarChar':
      return `character varying${a}`;
    case 'Char':
      return `character${a}`;
    case 'Decimal':
      return `numeric${a}`;
    case 'Timestamp':
      return `timestamp${a} without time zone`;
    case 'Timestamptz':
      return `timestamp${a} with time zone`;
    case 'Time':
      return `time${a} without time zone`;
    case 'Timetz':
      return `time${a} with time zone`;
    case 'Bit':
      return `bit${a}`;
    case 'VarBit':
      return `bit varying${a}`;
    default:
      return name.toLowerCase() + a;
  }
}

/**
 * The shape PostgreSQL shows for a Prisma datamodel with Prisma Migrate's defaults (scalar lists
 * nullable, `DateTime` as `timestamp(3)`, `Decimal` as `numeric(65,30)`).
 *
 * @example
 * ```ts
 * expectedShape(datamodel).tables.find((t) => t.name === 'User')?.columns
 * ```
 */
export function expectedShape(datamodel: DmmfDatamodel): SchemaShape {
  const enumNames = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const enums = new Map(
    datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]),
  );
  const tables = datamodel.models.map((model): TableShape => {
    const scalar = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
    const columnOf = new Map(scalar.map((f) => [f.name, f.dbName ?? f.name]));
    const columns = scalar.map((f): ColumnShape => {
      const base =
        f.kind === 'enum'
          ? (enumNames.get(f.type) ?? f.type)
          : f.nativeType
            ? nativeType(f.nativeType[0], f.nativeType[1])
            : (SCALAR_TYPES[f.type] ?? f.type.toLowerCase());
      return {
        name: f.dbName ?? f.name,
        type: f.isList ? `${base}[]` : base,
        nullable: f.isList || !f.isRequired,
      };
    });
    const indexes = datamodel.indexes
      .filter((i) => i.model === model.name && i.type !== 'fulltext')
      .map((i): IndexShape => ({
        kind: i.type === 'id' ? 'primary' : i.type === 'unique' ? 'unique' : 'index',
        columns: i.fields.map((f) => columnOf.get(f.name) ?? f.name),
        ...(i.dbName ? { name: i.dbName } : {}),
      }));
    return { name: model.dbName ?? model.name, model: model.name, columns, indexes };
  });
  return { tables, enums };
}

interface SchemaWasm {
  get_dmmf(params: string): string;
}

/**
 * Parses a Prisma schema into its DMMF datamodel with Prisma's own parser
 * (`@prisma/prisma-schema-wasm`, loaded on first use; install it at the engines version of your Prisma).
 *
 * @example
 * ```ts
 * const datamodel = await loadDatamodel({ schemaPath: 'prisma/schema.prisma' })
 * ```
 */
export async function loadDatamodel(
  source: { schema: string } | { schemaPath: string },
): Promise<DmmfDatamodel> {
  const schema = 'schema' in source ? source.schema : await readFile(source.schemaPath, 'utf8');
  const wasm = (await import('@prisma/prisma-schema-wasm')) as unknown as SchemaWasm;
  const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))) as {
    datamodel: DmmfDatamodel;
  };
  return dmmf.datamodel;
}
