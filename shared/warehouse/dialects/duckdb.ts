import type { CompiledQuery, TableQuery } from '../../ports/warehouse.ts';
import { addDays, LAST_DATE } from '../../model/dates.ts';

export function quoteDuckdb(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** DuckDB SQL for a table read. The connection runs in UTC. */
export function compileDuckdb(query: TableQuery): CompiledQuery {
  const q = quoteDuckdb;
  // DuckDB formats a DATE as 'YYYY-MM-DD' faster in SQL than the driver does per value.
  const select = query.columns
    .map((c) => (c.kind === 'date' ? `CAST(${q(c.name)} AS VARCHAR) AS ${q(c.name)}` : q(c.name)))
    .join(', ');
  let sql = `SELECT ${select} FROM ${q(query.table)}`;
  const params: CompiledQuery['params'] = {};
  const conditions: string[] = [];
  const window = query.window;
  if (window !== null) {
    const col = q(window.column.name);
    if (window.column.kind === 'date') {
      conditions.push(`${col} BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)`);
      Object.assign(params, { from: window.from, to: window.to });
    } else {
      // Half-open [from 00:00, to+1 00:00) so the whole last day counts, and nothing after it.
      const cast =
        window.column.type.toUpperCase().includes('TIME ZONE') || window.column.type.toUpperCase() === 'TIMESTAMPTZ'
          ? 'TIMESTAMPTZ'
          : 'TIMESTAMP';
      if (window.to === LAST_DATE) {
        // No day follows the last one to end the window at: end it at its last microsecond.
        conditions.push(`${col} >= CAST($start AS ${cast}) AND ${col} <= CAST($end AS ${cast})`);
        Object.assign(params, { start: `${window.from} 00:00:00`, end: `${window.to} 23:59:59.999999` });
      } else {
        conditions.push(`${col} >= CAST($start AS ${cast}) AND ${col} < CAST($end AS ${cast})`);
        Object.assign(params, { start: `${window.from} 00:00:00`, end: `${addDays(window.to, 1)} 00:00:00` });
      }
    }
  }
  // Rows without an entity belong to no entity: leave them out of per-entity reads.
  if (query.orderByEntity && query.entity !== null) conditions.push(`${q(query.entity.name)} IS NOT NULL`);
  if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
  // Bytes order, whatever default_collation says: the order compareEntityIds reproduces (entity-order.ts).
  if (query.orderByEntity && query.entity !== null)
    sql += ` ORDER BY CAST(${q(query.entity.name)} AS VARCHAR) COLLATE "binary"`;
  return { sql, params, types: {} };
}
