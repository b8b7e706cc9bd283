import type { CompiledQuery, TableQuery } from '../../ports/warehouse.ts';

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
      conditions.push(`${col} >= ${fn}(@from) AND ${col} < ${fn}(DATE_ADD(@to, INTERVAL 1 DAY))`);
    }
  }
  // Rows without an entity belong to no entity: leave them out of per-entity reads.
  if (query.orderByEntity && query.entity !== null) conditions.push(`${q(query.entity.name)} IS NOT NULL`);
  if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
  if (query.orderByEntity && query.entity !== null) sql += ` ORDER BY CAST(${q(query.entity.name)} AS STRING)`;
  return { sql, params, types, columns: query.columns };
}
