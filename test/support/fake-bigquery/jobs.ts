import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { FakeCatalog } from './catalog.ts';
import { fieldOf, type Field } from './schema.ts';
import { NotFoundError, SqlError, translate } from './translate.ts';

/** A failure the fake answers the way BigQuery does: an HTTP status, a reason, a message. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export interface JobReference {
  projectId: string;
  jobId: string;
  location: string;
}

export interface FakeJob {
  reference: JobReference;
  configuration: Record<string, unknown>;
  status: { state: 'DONE'; errorResult?: { reason: string; message: string } };
  statistics: Record<string, unknown>;
  result?: { fields: Field[]; rows: DuckDBValue[][] };
  /** The parameters as the fake decoded them from the request: type and value (null when absent). */
  params: Record<string, { type: string; value: unknown }>;
}

interface QueryParameter {
  name?: string;
  parameterType?: { type?: string; arrayType?: { type?: string } };
  parameterValue?: { value?: unknown; arrayValues?: Array<{ value?: unknown }> };
}

const VALID: Record<string, RegExp> = {
  DATE: /^\d{4}-\d{2}-\d{2}$/,
  TIMESTAMP: /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:\d{2})?| UTC)?$/,
  DATETIME: /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/,
  INT64: /^-?\d+$/,
};

/**
 * Decodes queryParameters as BigQuery does: a scalar with no `value` is
 * NULL (which is how a DATE sent as a plain string used to arrive), a
 * value that is not text, or text its type cannot parse, is refused.
 */
export function decodeParameters(list: QueryParameter[] | undefined): FakeJob['params'] {
  const params: FakeJob['params'] = {};
  for (const p of list ?? []) {
    const name = p.name;
    const type = p.parameterType?.type;
    if (name === undefined || type === undefined)
      throw new ApiFailure(400, 'invalidQuery', 'Query parameters must be named and typed');
    const scalar = (t: string, v: unknown): unknown => {
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string') throw new ApiFailure(400, 'invalid', `Invalid value for ${t} parameter ${name}`);
      if (VALID[t] !== undefined && !VALID[t].test(v))
        throw new ApiFailure(400, 'invalidQuery', `Invalid ${t} literal: ${v}`);
      return v;
    };
    if (type === 'ARRAY') {
      const itemType = p.parameterType!.arrayType?.type ?? 'STRING';
      params[name] = {
        type: `ARRAY<${itemType}>`,
        value: (p.parameterValue?.arrayValues ?? []).map((item) => scalar(itemType, item.value)),
      };
    } else params[name] = { type, value: scalar(type, p.parameterValue?.value) };
  }
  return params;
}

/** A deterministic scan size: what the dry run reports and maximumBytesBilled is checked against. */
async function scanBytes(catalog: FakeCatalog, tables: Array<[string, string]>, info: boolean): Promise<number> {
  let bytes = info ? 10 * 1024 * 1024 : 0;
  for (const [dataset, table] of tables)
    bytes += (await catalog.rowCount(dataset, table)) * catalog.meta(dataset, table)!.fields.length * 8;
  return bytes;
}

/** A result column's field: the source table's own field when it is that column, else one from DuckDB's type. */
function resultField(derived: Field, catalog: FakeCatalog, tables: Array<[string, string]>): Field {
  for (const [dataset, table] of tables) {
    const source = catalog.meta(dataset, table)!.fields.find((f) => f.name === derived.name);
    if (source === undefined || (source.mode === 'REPEATED') !== (derived.mode === 'REPEATED')) continue;
    const same =
      source.type === derived.type ||
      (['GEOGRAPHY', 'BIGNUMERIC'].includes(source.type) && derived.type === 'STRING') ||
      (source.type === 'RANGE' && derived.type === 'RECORD');
    if (same) return { ...source, mode: source.mode === 'REPEATED' ? 'REPEATED' : 'NULLABLE' };
  }
  return derived;
}

export interface QueryRun {
  tables: Array<[string, string]>;
  datasets: string[];
  bytes: number;
  statementType: string;
  result?: FakeJob['result'];
  affected?: number;
}

/** Checks and (unless a dry run) executes one query statement in DuckDB. */
export async function runQuery(
  db: DuckDBConnection,
  catalog: FakeCatalog,
  sql: string,
  params: FakeJob['params'],
  dryRun: boolean,
  destination?: { datasetId: string; tableId: string },
): Promise<QueryRun> {
  const types = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.type]));
  if (/INFORMATION_SCHEMA\s*\.\s*PARTITIONS/i.test(sql)) await catalog.refreshPartitions();
  let translated;
  try {
    translated = translate(sql, types, catalog);
  } catch (error) {
    if (error instanceof SqlError) throw new ApiFailure(400, 'invalidQuery', error.message);
    if (error instanceof NotFoundError) throw new ApiFailure(404, 'notFound', error.message);
    throw error;
  }
  const values: Record<string, DuckDBValue> = {};
  for (const [name, { value }] of Object.entries(params))
    values[name] = Array.isArray(value) ? listValue(value as DuckDBValue[]) : (value as DuckDBValue);
  const statementType = /^\s*(\w+)/.exec(sql)![1]!.toUpperCase();
  const bytes = await scanBytes(catalog, translated.tables, /INFORMATION_SCHEMA/i.test(sql));
  const base = { tables: translated.tables, datasets: translated.datasets, bytes, statementType };
  try {
    if (dryRun) {
      (await db.prepare(translated.sql)).destroySync();
      return base;
    }
    const reader = await db.runAndReadAll(translated.sql, values);
    if (statementType !== 'SELECT' && statementType !== 'WITH')
      return { ...base, affected: Number(reader.getRows()[0]?.[0] ?? 0) };
    const names = reader.columnNames();
    const fields = reader
      .columnTypes()
      .map((type, i) => resultField(fieldOf(names[i]!, type), catalog, translated.tables));
    if (destination !== undefined)
      await catalog.replaceFromQuery(destination.datasetId, destination.tableId, fields, translated.sql, values);
    return { ...base, result: { fields, rows: reader.getRows() } };
  } catch (error) {
    if (error instanceof ApiFailure) throw error;
    throw new ApiFailure(400, 'invalidQuery', `DuckDB refused the translated query: ${(error as Error).message}`);
  }
}
