import type { Row } from '../../model/types.ts';
import type { TableQuery } from '../../ports/warehouse.ts';
import { sha256 } from '../../util/hash.ts';

/** One row of INFORMATION_SCHEMA.PARTITIONS, with its table's partitioning column. */
export interface PartitionRow {
  table: string;
  /** 'YYYYMMDD' (day), 'YYYYMMDDHH', 'YYYYMM', 'YYYY', '__NULL__', '__UNPARTITIONED__', or null (not partitioned). */
  partitionId: string | null;
  totalRows: string;
  lastModified: string;
  /** The partitioning column, '_PARTITIONTIME' for ingestion time, null when not partitioned. */
  partitionColumn: string | null;
}

/** A metadata cell as text: these columns hold strings, integers (as numbers or strings) and timestamps (as strings). */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
    ? String(value)
    : JSON.stringify(value);
}

export function partitionRows(rows: readonly Row[]): PartitionRow[] {
  return rows.map((row) => ({
    table: text(row.table_name) ?? '',
    partitionId: text(row.partition_id),
    totalRows: text(row.total_rows) ?? '',
    lastModified: text(row.last_modified_time) ?? '',
    partitionColumn: text(row.partition_column),
  }));
}

/** Whether a time partition's id names a period that meets [from, to] (dates as YYYY-MM-DD). */
function meetsWindow(partitionId: string, from: string, to: string): boolean {
  // Rows whose date is not known yet (streaming buffer) may be in any window.
  if (partitionId === '__UNPARTITIONED__') return true;
  // Rows with a NULL partitioning column are in no date window.
  if (partitionId === '__NULL__') return false;
  const f = from.replaceAll('-', '');
  const t = to.replaceAll('-', '');
  const length = partitionId.length === 10 ? 8 : partitionId.length; // an hour's partition: its day
  const id = partitionId.slice(0, length);
  return id >= f.slice(0, length) && id <= t.slice(0, length);
}

/**
 * The version of the rows a read sees, from partition metadata only. When the
 * table is partitioned by the read's date column, the partitions the window
 * meets count (a late row in another partition changes nothing here);
 * otherwise (not partitioned, partitioned by another column or by ingestion
 * time, or read whole) every partition counts, so any change to the table
 * changes the version. A table with no metadata (not found) has no version.
 */
export function partitionVersion(query: TableQuery, partitions: readonly PartitionRow[]): string | null {
  const own = partitions.filter((p) => p.table === query.table);
  if (own.length === 0) return null;
  const window = query.window;
  const byWindow =
    window !== null &&
    own[0]!.partitionColumn !== null &&
    own[0]!.partitionColumn === window.column.name &&
    own.every(
      (p) => p.partitionId !== null && /^(\d{4}|\d{6}|\d{8}|\d{10}|__NULL__|__UNPARTITIONED__)$/.test(p.partitionId),
    );
  const counted = byWindow ? own.filter((p) => meetsWindow(p.partitionId!, window.from, window.to)) : own;
  const scope = byWindow ? `partitions ${window.from}..${window.to}` : 'table';
  return sha256(
    [scope, ...counted.map((p) => `${p.partitionId ?? '-'}:${p.totalRows}:${p.lastModified}`).sort()].join('\n'),
  );
}
