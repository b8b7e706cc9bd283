import type { CompiledQuery, TableQuery } from '../../ports/warehouse.ts';
import { LAST_DATE } from '../../model/dates.ts';

export function quoteBigquery(identifier: string): string {
  return `\`${identifier.replace(/[`\\]/g, (c) => `\\${c}`)}\``;
}

/** BigQuery GoogleSQL for a table read in `project.dataset`. */
export function compileBigquery(query: TableQuery, location: { projectId: string; dataset: string }): CompiledQuery {
  const q = quoteBigquery;
  const select = query.columns.map((c) => q(c.name)).join(', ');
  let sql = `SELECT ${select} FROM ${q(`${location.projectId}.${location.dataset}.${query.table}`)}`;
  const params: CompiledQuery['params'] = {};
  const types: CompiledQuery['types'] = {};
  const conditions: string[] = [];
  const window = query.window;
  if (window !== null) {
    const col = q(window.column.name);
    Object.assign(params, { from: window.from, to: window.to });
    Object.assign(types, { from: 'DATE', to: 'DATE' });
    if (window.column.kind === 'date') conditions.push(`${col} BETWEEN @from AND @to`);
    else {
      const fn = window.column.kind === 'datetime' ? 'DATETIME' : 'TIMESTAMP';
      // BigQuery's TIMESTAMP and DATETIME end with 9999-12-31, where DATE_ADD would overflow: no bound is needed there.
      if (window.to === LAST_DATE) {
        conditions.push(`${col} >= ${fn}(@from)`);
        delete params.to;
        delete types.to;
      } else conditions.push(`${col} >= ${fn}(@from) AND ${col} < ${fn}(DATE_ADD(@to, INTERVAL 1 DAY))`);
    }
  }
  // Rows without an entity belong to no entity: leave them out of per-entity reads.
  if (query.orderByEntity && query.entity !== null) conditions.push(`${q(query.entity.name)} IS NOT NULL`);
  if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
  // Bytes order no collation can change, the order compareEntityIds reproduces (entity-order.ts).
  if (query.orderByEntity && query.entity !== null)
    sql += ` ORDER BY CAST(CAST(${q(query.entity.name)} AS STRING) AS BYTES)`;
  return { sql, params, types };
}

/** A GoogleSQL statement with its typed parameters. */
export interface BigquerySql {
  sql: string;
  params: Record<string, string | string[]>;
  types: Record<string, string | string[]>;
}

/**
 * Columns of one table, with what the partitioning needs checked: hidden
 * pseudo-columns (_PARTITIONTIME, _PARTITIONDATE) come back flagged so the
 * caller can leave them out of reads yet know the table is partitioned by
 * ingestion time.
 */
export function bigquerySchemaQuery(projectId: string, dataset: string, table: string): BigquerySql {
  const ref = quoteBigquery(`${projectId}.${dataset}`);
  return {
    sql:
      'SELECT c.column_name, c.data_type, c.is_nullable, c.is_hidden, c.is_partitioning_column, ' +
      "IFNULL(o.option_value, 'false') AS require_partition_filter " +
      `FROM ${ref}.INFORMATION_SCHEMA.COLUMNS AS c ` +
      `LEFT JOIN ${ref}.INFORMATION_SCHEMA.TABLE_OPTIONS AS o ` +
      "ON o.table_name = c.table_name AND o.option_name = 'require_partition_filter' " +
      'WHERE c.table_name = @table ORDER BY c.ordinal_position',
    params: { table },
    types: { table: 'STRING' },
  };
}

/** Names of the dataset's tables. */
export function bigqueryTablesQuery(projectId: string, dataset: string): BigquerySql {
  return {
    sql: `SELECT table_name FROM ${quoteBigquery(`${projectId}.${dataset}`)}.INFORMATION_SCHEMA.TABLES ORDER BY table_name`,
    params: {},
    types: {},
  };
}

/** Stored results of one date (of some entities), in entity order. `table` is `project.dataset.table`. */
export function bigqueryResultsRead(table: string, date: string, entityIds?: readonly string[]): BigquerySql {
  const filter = entityIds === undefined ? '' : ' AND entity_id IN UNNEST(@ids)';
  return {
    sql: `SELECT entity_id, result FROM ${quoteBigquery(table)} WHERE date = @date${filter} ORDER BY CAST(entity_id AS BYTES)`,
    params: entityIds === undefined ? { date } : { date, ids: [...entityIds] },
    types: entityIds === undefined ? { date: 'DATE' } : { date: 'DATE', ids: ['STRING'] },
  };
}

/** Deletes one date's stored results (a replace with no results). */
export function bigqueryResultsDelete(table: string, date: string): BigquerySql {
  return {
    sql: `DELETE FROM ${quoteBigquery(table)} WHERE date = @date`,
    params: { date },
    types: { date: 'DATE' },
  };
}

/**
 * Partition metadata of the dataset's tables, for input versions: each
 * partition's id, rows and last modification, with the table's partitioning
 * column. Metadata only (no table data is scanned); one query covers every
 * table a run reads.
 */
export function bigqueryPartitionsQuery(projectId: string, dataset: string, tables: readonly string[]): BigquerySql {
  const ref = quoteBigquery(`${projectId}.${dataset}`);
  return {
    sql:
      'SELECT p.table_name, p.partition_id, p.total_rows, p.last_modified_time, ' +
      'c.column_name AS partition_column ' +
      `FROM ${ref}.INFORMATION_SCHEMA.PARTITIONS AS p ` +
      `LEFT JOIN ${ref}.INFORMATION_SCHEMA.COLUMNS AS c ` +
      "ON c.table_name = p.table_name AND c.is_partitioning_column = 'YES' " +
      'WHERE p.table_name IN UNNEST(@tables) ORDER BY p.table_name, p.partition_id',
    params: { tables: [...tables] },
    types: { tables: ['STRING'] },
  };
}
