import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { markPermanent } from '../../errors.ts';
import type { Row } from '../../model/types.ts';
import type {
  CompiledQuery,
  ScanEstimate,
  TableQuery,
  TableSchema,
  VersionScope,
  Warehouse,
} from '../../ports/warehouse.ts';
import { compileDuckdb } from '../../warehouse/dialects/duckdb.ts';
import { columnKind } from '../../warehouse/values.ts';
import { sharedVersionQuery } from '../../warehouse/version-scope.ts';
import { converterFor } from './duckdb-values.ts';

export interface DuckdbOptions {
  /** DuckDB's memory limit, e.g. '256MB'; beyond it sorts spill to disk. (Default: DuckDB's, 80% of RAM) */
  memoryLimit?: string;
  /** Worker threads. (Default: DuckDB's, one per core) */
  threads?: number;
}

/** Opens (or creates) a DuckDB database file for the adapter. */
export async function openDuckdb(path: string, options: DuckdbOptions = {}): Promise<DuckDBInstance> {
  const config: Record<string, string> = {};
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  if (options.threads !== undefined) config.threads = String(options.threads);
  return DuckDBInstance.create(path, config);
}

/** A fresh connection in UTC, so TIMESTAMPTZ values and windows read the same everywhere. */
export async function connectUtc(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  return connection;
}

/**
 * DuckDB refusing the query itself (a table or column gone since the plan
 * was made, SQL it cannot parse): no retry mends it.
 */
function rethrowRefused(error: unknown): never {
  const text = error instanceof Error ? error.message : String(error);
  if (/^(Binder|Catalog|Parser) Error/.test(text)) markPermanent(error);
  throw error;
}

/**
 * The embedded warehouse: source tables in the `main` schema of a DuckDB
 * file. Each stream gets its own connection, since DuckDB ends a streaming
 * result when its connection runs another query.
 */
export class DuckdbWarehouse implements Warehouse {
  readonly dialect = 'duckdb' as const;
  readonly #instance: DuckDBInstance;
  #shared: Promise<DuckDBConnection> | undefined;

  constructor(instance: DuckDBInstance) {
    this.#instance = instance;
  }

  #connect(): Promise<DuckDBConnection> {
    return connectUtc(this.#instance);
  }

  /** One connection for short metadata queries. */
  #metadata(): Promise<DuckDBConnection> {
    this.#shared ??= this.#connect();
    return this.#shared;
  }

  async describeTable(table: string): Promise<TableSchema | null> {
    const connection = await this.#metadata();
    const reader = await connection.runAndReadAll(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = 'main' AND lower(table_name) = lower($table) ORDER BY (table_name = $table) DESC, ordinal_position`,
      { table },
    );
    const rows = reader.getRowObjectsJson() as Array<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>;
    if (rows.length === 0) return null;
    const name = rows[0]!.table_name;
    return {
      table: name,
      columns: rows
        .filter((r) => r.table_name === name)
        .map((r) => ({
          name: r.column_name,
          type: r.data_type,
          kind: columnKind(r.data_type),
          nullable: r.is_nullable === 'YES',
        })),
    };
  }

  async listTables(): Promise<string[]> {
    const connection = await this.#metadata();
    const reader = await connection.runAndReadAll(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name",
    );
    return (reader.getRowsJson() as string[][]).map((r) => r[0]!);
  }

  compile(query: TableQuery): CompiledQuery {
    return compileDuckdb(query);
  }

  async *stream(query: CompiledQuery): AsyncIterable<Row[]> {
    const connection = await this.#connect();
    try {
      const result = await connection
        .stream(query.sql, query.params as Record<string, DuckDBValue>)
        .catch(rethrowRefused);
      const names = result.deduplicatedColumnNames();
      const converters = result.columnTypes().map(converterFor);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        // Column-wise conversion allocates one array per column instead of one per row.
        const columns = converters.map((convert, c) => chunk.convertColumnValues(c, convert));
        const count = chunk.rowCount;
        const rows = new Array<Row>(count);
        for (let r = 0; r < count; r++) {
          const row: Row = {};
          for (let c = 0; c < names.length; c++) row[names[c]!] = columns[c]![r];
          rows[r] = row;
        }
        yield rows;
      }
    } finally {
      connection.closeSync();
    }
  }

  /** DuckDB has no dry run that prices a query: the estimate is unknown, never 0. */
  async estimate(): Promise<ScanEstimate> {
    return { bytes: null, note: 'DuckDB does not estimate scanned bytes' };
  }

  readonly versionQueryCost = 'free (a scan of the window in the local DuckDB file)';

  /**
   * A fingerprint of the window computed in DuckDB: the row count and the
   * sum of the rows' hashes over the columns read. Any insert, update or
   * delete in the window changes it; rows outside it do not. Every read of
   * the same table, window and columns in a scope shares one query.
   */
  async inputVersion(query: TableQuery, scope: VersionScope): Promise<string | null> {
    const compiled = compileDuckdb({ ...query, orderByEntity: false });
    const sql = `SELECT count(*)::BIGINT AS n, coalesce(sum(hash(q)), 0)::VARCHAR AS h FROM (${compiled.sql}) q`;
    const key = `duckdb:${sql}:${JSON.stringify(compiled.params)}`;
    return sharedVersionQuery(scope, key, async () => {
      const connection = await this.#metadata();
      const reader = await connection
        .runAndReadAll(sql, compiled.params as Record<string, DuckDBValue>)
        .catch(rethrowRefused);
      const [row] = reader.getRowObjectsJson() as Array<{ n: string; h: string }>;
      return `${row!.n}:${row!.h}`;
    });
  }

  /** Closes the metadata connection; the instance belongs to the caller. */
  async close(): Promise<void> {
    if (this.#shared !== undefined) (await this.#shared).closeSync();
    this.#shared = undefined;
  }
}
