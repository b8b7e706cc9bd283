import { createHash } from 'node:crypto';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Row } from '../../model/types.ts';
import type { ShardedReads, ShardKey, ShardRead, ShardSpec, ShardTable } from '../../ports/sharded-reads.ts';
import { impossibleReason } from '../../warehouse/computation-reader.ts';
import { compileBigquery, quoteBigquery as q } from '../../warehouse/dialects/bigquery.ts';
import { compareEntityIds } from '../../warehouse/entity-order.ts';
import type { BigQueryLocation } from './client.ts';
import { QueryRunner } from './query-runner.ts';
import type { StorageReader } from './storage-reader.ts';

/** The shard key column of a scratch table: the entity id's UTF-8 bytes (the order entity-order.ts compares in). */
export const KEY_COLUMN = '_compute_key';

/** Hours a scratch table lives if the drop at finalization never happens. (The dataset's default expiration backs it.) */
const SCRATCH_HOURS = 24;

export interface ShardedReadSettings {
  /** Dataset of the scratch tables, in the source dataset's location; workers need data access on it. */
  scratchDataset: string;
  /**
   * A per-entity read whose dry run bills fewer bytes than this takes the
   * executor's path (a query paged over REST). (Default: 64 MiB, see
   * README "Scaling past one executor" for the measurement)
   */
  minBytes?: number;
}

/** Scratch table name of read `index` of a fan-out: derived from the fan-out, so a retry writes the same table. */
export function scratchName(key: ShardKey, index: number): string {
  const digest = createHash('sha256')
    .update(`${key.runId}\n${key.computation}\n${key.date}\n${key.attempt}`)
    .digest('hex')
    .slice(0, 24);
  return `_compute_shard_${digest}_${index}`;
}

/**
 * Sharded reads on BigQuery: query jobs write each window into a scratch
 * table with the shard key (the entity id as BYTES), clustered by it; one
 * small query numbers the entities in byte order and answers each range
 * of batchSize (first, last, count); workers read their range through the
 * Storage Read API (see StorageReader).
 */
export class BigqueryShardedReads implements ShardedReads {
  readonly #client: BigQuery;
  readonly #at: BigQueryLocation;
  readonly #settings: Required<ShardedReadSettings>;
  readonly #jobs: QueryRunner;
  readonly #storage: StorageReader;

  constructor(client: BigQuery, location: BigQueryLocation, storage: StorageReader, settings: ShardedReadSettings) {
    this.#client = client;
    this.#at = location;
    this.#storage = storage;
    this.#settings = { minBytes: 64 * 1024 * 1024, ...settings };
    this.#jobs = new QueryRunner(client, {
      projectId: location.projectId,
      location: location.location,
      maximumBytesBilled: location.maximumBytesBilled,
      retry: location.retry,
    });
  }

  wants(bytes: number | null): boolean {
    // Unknown: a window too big to estimate is no reason to funnel it through one process.
    return bytes === null || bytes >= this.#settings.minBytes;
  }

  async prepare(
    key: ShardKey,
    reads: readonly ShardRead[],
    batchSize: number,
  ): Promise<{ shards: ShardSpec[] } | { impossible: string }> {
    const allWhole = reads.every((read) => read.query.window === null);
    const tables: ShardTable[] = reads.map((read, i) => ({
      table: read.table,
      scratch: scratchName(key, i),
      columns: read.query.columns.map((c) => c.name),
      entity: read.query.entity!.name,
      drives: allWhole || read.query.window !== null,
    }));
    await Promise.all(reads.map((read, i) => this.#materialize(read, tables[i]!)));
    for (const [i, read] of reads.entries()) {
      if (read.mandatory && (await this.#rowCount(tables[i]!.scratch)) === 0)
        return { impossible: impossibleReason(read) };
    }
    // Entities numbered in byte order over every driving table, cut every batchSize: N rows come back.
    const ranges = await this.#jobs.all({
      sql:
        'SELECT shard, MIN(k) AS lo, MAX(k) AS hi, COUNT(*) AS entities FROM (' +
        `SELECT k, CAST(FLOOR((ROW_NUMBER() OVER (ORDER BY k) - 1) / ${Math.max(1, Math.floor(batchSize))}) AS INT64) AS shard ` +
        `FROM (SELECT DISTINCT ${KEY_COLUMN} AS k FROM (${this.#keys(tables.filter((t) => t.drives))}))` +
        ') GROUP BY shard ORDER BY shard',
      params: {},
      types: {},
    });
    return {
      shards: ranges.map((row) => ({
        first: String(row.lo),
        last: String(row.hi),
        entityCount: Number(row.entities),
        tables,
      })),
    };
  }

  async read(shard: ShardSpec): Promise<Array<{ entityId: string; data: Record<string, Row[]> }>> {
    // Base64 text only: nothing in the filter comes from a user's data unquoted.
    const restriction = `${KEY_COLUMN} >= FROM_BASE64('${shard.first}') AND ${KEY_COLUMN} <= FROM_BASE64('${shard.last}')`;
    const rows = await Promise.all(
      shard.tables.map((t) =>
        this.#storage.readAll({
          projectId: this.#at.projectId,
          dataset: this.#settings.scratchDataset,
          table: t.scratch,
          columns: t.columns,
          restriction,
        }),
      ),
    );
    const byEntity = new Map<string, Record<string, Row[]>>();
    const empty = () => Object.fromEntries(shard.tables.map((t) => [t.table, [] as Row[]]));
    shard.tables.forEach((t, i) => {
      if (!t.drives) return;
      for (const row of rows[i]!) {
        const id = String(row[t.entity]);
        if (!byEntity.has(id)) byEntity.set(id, empty());
      }
    });
    shard.tables.forEach((t, i) => {
      for (const row of rows[i]!) byEntity.get(String(row[t.entity]))?.[t.table]!.push(row);
    });
    return [...byEntity.keys()].sort(compareEntityIds).map((entityId) => ({ entityId, data: byEntity.get(entityId)! }));
  }

  async drop(key: ShardKey, tables: number): Promise<void> {
    const dataset = this.#dataset();
    await Promise.all(
      Array.from({ length: tables }, (_, i) =>
        dataset
          .table(scratchName(key, i))
          .delete()
          .catch(() => undefined),
      ),
    );
  }

  #dataset() {
    const { projectId, location } = this.#at;
    return this.#client.dataset(this.#settings.scratchDataset, {
      projectId,
      ...(location === undefined ? {} : { location }),
    });
  }

  /** One query job: the window's rows, with the shard key, into the scratch table (which expires on its own). */
  async #materialize(read: ShardRead, table: ShardTable): Promise<void> {
    const expirationTime = String(Date.now() + SCRATCH_HOURS * 3_600_000);
    await this.#dataset()
      .createTable(table.scratch, { expirationTime })
      .catch((error: unknown) => {
        // A repeat of the fan-out: the table is there and WRITE_TRUNCATE replaces its rows.
        if ((error as { code?: unknown }).code !== 409) throw error;
      });
    const inner = compileBigquery({ ...read.query, orderByEntity: false }, this.#at);
    const entity = q(table.entity);
    await this.#jobs.into(
      {
        sql: `SELECT *, CAST(CAST(${entity} AS STRING) AS BYTES) AS ${KEY_COLUMN} FROM (${inner.sql}) WHERE ${entity} IS NOT NULL`,
        params: inner.params,
        types: inner.types,
      },
      this.#settings.scratchDataset,
      table.scratch,
      { clustering: { fields: [KEY_COLUMN] } },
    );
  }

  /** Rows of a scratch table, from its metadata (free). */
  async #rowCount(table: string): Promise<number> {
    const response = (await this.#dataset().table(table).getMetadata()) as unknown as [{ numRows?: string }];
    return Number(response[0].numRows ?? 0);
  }

  /** The shard keys of the driving scratch tables, as one subquery. */
  #keys(tables: readonly ShardTable[]): string {
    const ref = (t: ShardTable) => q(`${this.#at.projectId}.${this.#settings.scratchDataset}.${t.scratch}`);
    return tables.map((t) => `SELECT ${KEY_COLUMN} FROM ${ref(t)}`).join(' UNION ALL ');
  }
}
