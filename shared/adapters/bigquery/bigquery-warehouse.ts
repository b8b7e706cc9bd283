import type { BigQuery } from '@google-cloud/bigquery';
import type { Row } from '../../model/types.ts';
import type {
  CompiledQuery,
  ScanEstimate,
  TableQuery,
  TableSchema,
  VersionScope,
  Warehouse,
} from '../../ports/warehouse.ts';
import {
  bigqueryPartitionsQuery,
  bigquerySchemaQuery,
  bigqueryTablesQuery,
  compileBigquery,
} from '../../warehouse/dialects/bigquery.ts';
import { partitionRows, partitionVersion } from './partition-versions.ts';
import { columnKind } from '../../warehouse/values.ts';
import { sharedVersionQuery } from '../../warehouse/version-scope.ts';
import type { BigQueryLocation } from './client.ts';
import { QueryRunner } from './query-runner.ts';

/**
 * The warehouse on BigQuery. Schemas come from the dataset's
 * INFORMATION_SCHEMA; reads are query jobs paged through; a dry run (free)
 * says how many bytes a read would bill.
 */
export class BigqueryWarehouse implements Warehouse {
  readonly dialect = 'bigquery' as const;
  readonly #at: BigQueryLocation;
  readonly #jobs: QueryRunner;

  constructor(client: BigQuery, location: BigQueryLocation) {
    this.#at = location;
    this.#jobs = new QueryRunner(client, {
      projectId: location.projectId,
      location: location.location,
      maximumBytesBilled: location.maximumBytesBilled,
      retry: location.retry,
      // Oversized results go to a scratch table where the system may write: the results dataset.
      scratchDataset: location.resultsDataset ?? location.dataset,
    });
  }

  /**
   * Hidden columns (_PARTITIONTIME, _PARTITIONDATE) are left out: BigQuery
   * refuses them in a select list without an alias. They still tell that
   * the table is partitioned by ingestion time.
   */
  async describeTable(table: string): Promise<TableSchema | null> {
    const rows = await this.#jobs.all(bigquerySchemaQuery(this.#at.projectId, this.#at.dataset, table));
    if (rows.length === 0) return null;
    const partition = rows.find((r) => r.is_partitioning_column === 'YES');
    return {
      table,
      columns: rows
        .filter((r) => r.is_hidden !== 'YES')
        .map((r) => ({
          name: String(r.column_name),
          type: String(r.data_type),
          kind: columnKind(String(r.data_type)),
          nullable: r.is_nullable === 'YES',
        })),
      ...(partition === undefined
        ? {}
        : {
            partitioning: {
              column: String(partition.column_name),
              requireFilter: String(rows[0]!.require_partition_filter).toLowerCase() === 'true',
            },
          }),
    };
  }

  async listTables(): Promise<string[]> {
    const rows = await this.#jobs.all(bigqueryTablesQuery(this.#at.projectId, this.#at.dataset));
    return rows.map((r) => String(r.table_name));
  }

  compile(query: TableQuery): CompiledQuery {
    return compileBigquery(query, this.#at);
  }

  stream(query: CompiledQuery): AsyncIterable<Row[]> {
    return this.#jobs.pages(query);
  }

  async estimate(query: CompiledQuery): Promise<ScanEstimate> {
    // The accuracy lives in statistics.query; an UNKNOWN estimate carries a meaningless byte count (0).
    const statistics = await this.#jobs.dryRun(query);
    const stats = statistics.query as
      { totalBytesProcessed?: string; totalBytesProcessedAccuracy?: string } | undefined;
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

  readonly versionQueryCost = 'bills at least 10 MB (the INFORMATION_SCHEMA minimum), once per dataset per run';

  /**
   * A version from partition metadata, never from the data: the partitions'
   * last modification times (INFORMATION_SCHEMA.PARTITIONS). One query per
   * dataset per scope lists every table of the scope, whatever the number of
   * computations and dates asking.
   */
  async inputVersion(query: TableQuery, scope: VersionScope): Promise<string | null> {
    const tables = scope.tables.includes(query.table) ? scope.tables : [query.table];
    const key = `bigquery-partitions:${this.#at.dataset}:${tables.join(',')}`;
    const partitions = await sharedVersionQuery(scope, key, () =>
      this.#jobs.all(bigqueryPartitionsQuery(this.#at.projectId, this.#at.dataset, tables)).then(partitionRows),
    );
    return partitionVersion(query, partitions);
  }
}
