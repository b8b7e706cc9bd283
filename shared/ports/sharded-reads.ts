import type { IsoDate, Row } from '../model/types.ts';
import type { TableQuery } from './warehouse.ts';

/**
 * Sharded reads (BigQuery): instead of the executor reading every row of a
 * per-entity computation's windows and shipping them in batch contexts,
 * one query job per required table writes the window into a scratch table
 * that carries a shard key (the entity id's UTF-8 bytes, the system's
 * entity order) and is clustered by it; the entities are cut into ranges
 * of about batchSize each, a batch names its range, and the worker reads
 * its own rows through the Storage Read API. Ranges, not hashes: batches
 * stay in entity order, so results are stored and hashed exactly as on
 * the executor's path.
 */

/** The fan-out whose scratch tables these are: names derive from it, so a retry finds them again. */
export interface ShardKey {
  runId: string;
  computation: string;
  date: IsoDate;
  attempt: number;
}

/** One required table's scratch copy. */
export interface ShardTable {
  /** The required table, as ctx.data names it. */
  table: string;
  /** The scratch table holding its window with the shard key. */
  scratch: string;
  /** Columns a computation reads, in the order rows carry them. */
  columns: string[];
  entity: string;
  /** Whether its entities are entities of the computation (a table read whole only gives rows to others'). */
  drives: boolean;
}

/** What a shard batch carries instead of rows: where its worker reads them. A few hundred bytes. */
export interface ShardSpec {
  /** First and last entity id of the shard (inclusive), as base64 of their UTF-8 bytes. */
  first: string;
  last: string;
  /** Entities in the shard, counted by the executor from the scratch tables. */
  entityCount: number;
  tables: ShardTable[];
}

export interface ShardRead {
  table: string;
  mandatory: boolean;
  query: TableQuery;
}

export interface ShardedReads {
  /** Whether a per-entity read whose dry run says `bytes` (null: unknown) goes through shards. */
  wants(bytes: number | null): boolean;
  /**
   * Writes each read's window into its scratch table (one query job each,
   * one scan of the window), then cuts the entities into shards of about
   * `batchSize` entities each. Impossible when a mandatory table has no
   * rows in its window.
   */
  prepare(
    key: ShardKey,
    reads: readonly ShardRead[],
    batchSize: number,
  ): Promise<{ shards: ShardSpec[] } | { impossible: string }>;
  /** A shard's entities in entity order (entity-order.ts), each with its rows per required table. */
  read(shard: ShardSpec): Promise<Array<{ entityId: string; data: Record<string, Row[]> }>>;
  /** Drops a fan-out's scratch tables (they also expire on their own). */
  drop(key: ShardKey, tables: number): Promise<void>;
}
