import type { IsoDate, Row } from '../model/types.ts';

/** Column types as the system reasons about them, whatever the warehouse. */
export type ColumnKind =
  'date' | 'timestamp' | 'datetime' | 'string' | 'integer' | 'float' | 'decimal' | 'boolean' | 'json' | 'other';

export interface ColumnInfo {
  name: string;
  /** The warehouse's own type name, e.g. 'TIMESTAMP WITH TIME ZONE', 'INT64'. */
  type: string;
  kind: ColumnKind;
  nullable: boolean;
}

export interface TableSchema {
  table: string;
  columns: ColumnInfo[];
  /**
   * How the warehouse partitions the table, where it does (BigQuery): the
   * partitioning column ('_PARTITIONTIME' for ingestion time) and whether
   * every read must filter on it.
   */
  partitioning?: { column: string; requireFilter: boolean };
}

/**
 * A read of one required table, built only from names found in its
 * discovered schema. Compiled per dialect; values travel as parameters.
 */
export interface TableQuery {
  table: string;
  /** Columns selected, in order. */
  columns: ColumnInfo[];
  /** The entity column, or null for a global read. */
  entity: ColumnInfo | null;
  /** Inclusive window on the date column, or null for no date filter. */
  window: { column: ColumnInfo; from: IsoDate; to: IsoDate } | null;
  /** Order rows by entity id (by UTF-8 bytes, see entity-order.ts) so per-entity streams can be merged. */
  orderByEntity: boolean;
}

export interface CompiledQuery {
  sql: string;
  /** Named parameters. */
  params: Record<string, string | number | string[]>;
  /** Parameter types, for warehouses that need them (BigQuery). */
  types: Record<string, string | string[]>;
}

/** What a dry run says a query would scan. null bytes means unknown, never 0. */
export interface ScanEstimate {
  bytes: number | null;
  note: string | null;
}

/**
 * Shared by the input-version lookups of one run (or one analysis), so a
 * warehouse can answer many of them with one query: BigQuery lists partition
 * metadata of every table once, DuckDB fingerprints each window once.
 */
export interface VersionScope {
  /** Every table the run may read, so a warehouse can ask for all of them at once. */
  tables: readonly string[];
  /** The warehouse's own memo, for this scope only. */
  memo: Map<string, Promise<unknown>>;
  /** Queries sent to the warehouse for versions so far. */
  queries: number;
}

/** The read side of a warehouse. */
export interface Warehouse {
  readonly dialect: 'duckdb' | 'bigquery';
  /** Columns of a table from INFORMATION_SCHEMA, or null if there is no such table. */
  describeTable(table: string): Promise<TableSchema | null>;
  /** Names of the tables that can be required (for suggestions). */
  listTables(): Promise<string[]>;
  compile(query: TableQuery): CompiledQuery;
  /** Runs a query and yields its rows in chunks, with portable values. Memory stays bounded by the chunk. */
  stream(query: CompiledQuery): AsyncIterable<Row[]>;
  /** Bytes the query would scan, from a free dry run where the warehouse has one. */
  estimate(query: CompiledQuery): Promise<ScanEstimate>;
  /**
   * A version of the rows `query` reads: it changes when any of them is
   * inserted, updated or deleted, and stays the same otherwise. null when
   * the warehouse cannot tell.
   */
  inputVersion(query: TableQuery, scope: VersionScope): Promise<string | null>;
  /** What one version query costs, in words, for `analyze` (e.g. 'free', 'bills at least 10 MB'). */
  readonly versionQueryCost: string;
}

/** One stored result of a computation for a date. */
export interface StoredResult {
  entityId: string;
  result: unknown;
}

/** Collects a (computation, date)'s results and replaces the stored ones at once on commit. */
export interface ResultWriter {
  append(results: StoredResult[]): Promise<void>;
  /** Makes the new results visible, replacing the old ones atomically. */
  commit(): Promise<void>;
  /** Drops what was appended; the previous results stay. */
  abort(): Promise<void>;
}

/** The write side: computation results, replaced atomically per (computation, date). */
export interface ResultStore {
  openReplace(computation: string, date: IsoDate): Promise<ResultWriter>;
  /** All results of a (computation, date), or those of the given entities. */
  read(computation: string, date: IsoDate, entityIds?: readonly string[]): Promise<StoredResult[]>;
  /** All results ordered by entity id, in chunks. */
  stream(computation: string, date: IsoDate): AsyncIterable<StoredResult[]>;
}
