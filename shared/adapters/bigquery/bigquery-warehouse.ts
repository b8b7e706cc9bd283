import type { Row } from '../../model/types.ts';
import type { CompiledQuery, ScanEstimate, TableQuery, TableSchema, Warehouse } from '../../ports/warehouse.ts';
import { compileBigquery, quoteBigquery } from '../../warehouse/dialects/bigquery.ts';
import { columnKind } from '../../warehouse/values.ts';
import { clientParams } from './params.ts';
import { pagedRows, type BigQueryLike, type BigQueryLocation } from './client.ts';

/**
 * The warehouse on BigQuery. Schemas come from the dataset's
 * INFORMATION_SCHEMA; reads are query jobs paged through; a dry run (free)
 * says how many bytes a read would bill.
 */
export class BigqueryWarehouse implements Warehouse {
  readonly dialect = 'bigquery' as const;
  readonly #client: BigQueryLike;
  readonly #at: BigQueryLocation;

  constructor(client: BigQueryLike, location: BigQueryLocation) {
    this.#client = client;
    this.#at = location;
  }

  #jobOptions(query: string, params: Record<string, unknown>, types: Record<string, unknown>): Record<string, unknown> {
    return {
      query,
      params: clientParams(params, types as Record<string, string | string[]>),
      types,
      useLegacySql: false,
      ...(this.#at.location === undefined ? {} : { location: this.#at.location }),
      ...(this.#at.maximumBytesBilled === undefined ? {} : { maximumBytesBilled: String(this.#at.maximumBytesBilled) }),
    };
  }

  async #rows(
    query: string,
    params: Record<string, unknown> = {},
    types: Record<string, unknown> = {},
  ): Promise<Array<Record<string, unknown>>> {
    const [job] = await this.#client.createQueryJob(this.#jobOptions(query, params, types));
    const [rows] = await job.getQueryResults({ autoPaginate: true });
    return rows;
  }

  get #datasetRef(): string {
    return quoteBigquery(`${this.#at.projectId}.${this.#at.dataset}`);
  }

  /** Hidden columns (_PARTITIONTIME, _PARTITIONDATE) are left out: BigQuery refuses them in a select list without an alias. */
  async describeTable(table: string): Promise<TableSchema | null> {
    const rows = await this.#rows(
      `SELECT column_name, data_type, is_nullable FROM ${this.#datasetRef}.INFORMATION_SCHEMA.COLUMNS WHERE table_name = @table AND is_hidden = 'NO' ORDER BY ordinal_position`,
      { table },
    );
    if (rows.length === 0) return null;
    return {
      table,
      columns: rows.map((r) => ({
        name: String(r.column_name),
        type: String(r.data_type),
        kind: columnKind(String(r.data_type)),
        nullable: r.is_nullable === 'YES',
      })),
    };
  }

  async listTables(): Promise<string[]> {
    const rows = await this.#rows(
      `SELECT table_name FROM ${this.#datasetRef}.INFORMATION_SCHEMA.TABLES ORDER BY table_name`,
    );
    return rows.map((r) => String(r.table_name));
  }

  compile(query: TableQuery): CompiledQuery {
    return compileBigquery(query, this.#at);
  }

  async *stream(query: CompiledQuery): AsyncIterable<Row[]> {
    yield* pagedRows(this.#client, this.#jobOptions(query.sql, query.params, query.types));
  }

  async estimate(query: CompiledQuery): Promise<ScanEstimate> {
    const [job] = await this.#client.createQueryJob({
      ...this.#jobOptions(query.sql, query.params, query.types),
      dryRun: true,
    });
    // The accuracy lives in statistics.query; an UNKNOWN estimate carries a meaningless byte count (0).
    const stats = job.metadata.statistics?.query;
    const accuracy = stats?.totalBytesProcessedAccuracy;
    if (stats?.totalBytesProcessed === undefined || accuracy === 'UNKNOWN') {
      return { bytes: null, note: 'BigQuery could not estimate this query (accuracy UNKNOWN)' };
    }
    const notes: Record<string, string> = {
      UPPER_BOUND: 'upper bound',
      LOWER_BOUND: 'lower bound: it may scan more',
    };
    return { bytes: Number(stats.totalBytesProcessed), note: notes[accuracy ?? ''] ?? null };
  }
}
