import {
  listValue,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBValue,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';
import type { IsoDate } from '../../model/types.ts';
import type { ResultStore, ResultWriter, StoredResult } from '../../ports/warehouse.ts';
import { quoteDuckdb } from '../../warehouse/dialects/duckdb.ts';
import { connectUtc } from './duckdb-warehouse.ts';

/** Schema that holds one results table per computation, apart from source tables. */
export const RESULTS_SCHEMA = 'compute_results';

/**
 * Results in DuckDB: table `compute_results."Computation"` (date, entity_id,
 * result as JSON text). A replace deletes the date's rows and appends the
 * new ones in one transaction, so readers see the old results or the new,
 * never a mix, and a failure half-way leaves the old ones.
 */
export class DuckdbResultStore implements ResultStore {
  readonly #instance: DuckDBInstance;
  /** Creating the results schema, once: concurrent CREATE SCHEMA statements conflict in DuckDB's catalog. */
  #schema: Promise<void> | undefined;
  /** One replace per table at a time: two transactions that each delete nothing and append would both commit. */
  readonly #writing = new Map<string, Promise<void>>();

  constructor(instance: DuckDBInstance) {
    this.#instance = instance;
  }

  #connect(): Promise<DuckDBConnection> {
    return connectUtc(this.#instance);
  }

  #resultsTable(computation: string): string {
    return `${quoteDuckdb(RESULTS_SCHEMA)}.${quoteDuckdb(computation)}`;
  }

  async #resultsTableExists(connection: DuckDBConnection, computation: string): Promise<boolean> {
    const reader = await connection.runAndReadAll(
      'SELECT 1 FROM information_schema.tables WHERE table_schema = $schema AND table_name = $name',
      { schema: RESULTS_SCHEMA, name: computation },
    );
    return reader.currentRowCount > 0;
  }

  async openReplace(computation: string, date: IsoDate): Promise<ResultWriter> {
    const before = this.#writing.get(computation) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const chained = before.then(() => mine);
    this.#writing.set(computation, chained);
    await before;
    try {
      return await this.#open(computation, date, () => {
        done();
        if (this.#writing.get(computation) === chained) this.#writing.delete(computation);
      });
    } catch (error) {
      done();
      throw error;
    }
  }

  async #open(computation: string, date: IsoDate, release: () => void): Promise<ResultWriter> {
    const connection = await this.#connect();
    const table = this.#resultsTable(computation);
    this.#schema ??= connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteDuckdb(RESULTS_SCHEMA)}`).then(() => undefined);
    try {
      await this.#schema;
    } catch (error) {
      this.#schema = undefined;
      connection.closeSync();
      throw error;
    }
    await connection.run(
      `CREATE TABLE IF NOT EXISTS ${table} (date DATE NOT NULL, entity_id VARCHAR NOT NULL, result VARCHAR NOT NULL)`,
    );
    await connection.run('BEGIN TRANSACTION');
    await connection.run(`DELETE FROM ${table} WHERE date = CAST($date AS DATE)`, { date });
    const appender = await connection.createAppender(computation, RESULTS_SCHEMA);
    let open = true;
    const finish = async (statement: 'COMMIT' | 'ROLLBACK') => {
      if (!open) return;
      open = false;
      try {
        appender.closeSync();
        await connection.run(statement);
      } catch (error) {
        if (statement === 'COMMIT') await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        connection.closeSync();
        release();
      }
    };
    return {
      append: async (results) => {
        for (const { entityId, result } of results) {
          appender.appendVarchar(date);
          appender.appendVarchar(entityId);
          appender.appendVarchar(JSON.stringify(result));
          appender.endRow();
        }
      },
      commit: () => finish('COMMIT'),
      abort: () => finish('ROLLBACK'),
    };
  }

  async read(computation: string, date: IsoDate, entityIds?: readonly string[]): Promise<StoredResult[]> {
    const results: StoredResult[] = [];
    for await (const chunk of this.#readResults(computation, date, entityIds)) results.push(...chunk);
    return results;
  }

  stream(computation: string, date: IsoDate): AsyncIterable<StoredResult[]> {
    return this.#readResults(computation, date);
  }

  async *#readResults(
    computation: string,
    date: IsoDate,
    entityIds?: readonly string[],
  ): AsyncIterable<StoredResult[]> {
    const connection = await this.#connect();
    try {
      if (!(await this.#resultsTableExists(connection, computation))) return;
      if (entityIds !== undefined && entityIds.length === 0) return;
      const filter = entityIds === undefined ? '' : ' AND entity_id IN (SELECT unnest($ids))';
      const params: Record<string, DuckDBValue> = { date };
      if (entityIds !== undefined) params.ids = listValue([...entityIds]);
      const result = await connection.stream(
        `SELECT entity_id, result FROM ${this.#resultsTable(computation)} WHERE date = CAST($date AS DATE)${filter} ORDER BY entity_id COLLATE "binary"`,
        params,
      );
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        yield (chunk.convertRows(JsonDuckDBValueConverter) as string[][]).map(([entityId, text]) => ({
          entityId: entityId!,
          result: JSON.parse(text!) as unknown,
        }));
      }
    } finally {
      connection.closeSync();
    }
  }
}
