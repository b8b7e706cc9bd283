import { describe, expect, it } from 'vitest';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import type { ColumnInfo, TableQuery } from '../../../shared/ports/warehouse.ts';

const at = { projectId: 'acme-prod', dataset: 'facts', location: 'EU', maximumBytesBilled: 5_000_000_000 };
const col = (name: string, type: string, kind: ColumnInfo['kind']): ColumnInfo => ({
  name,
  type,
  kind,
  nullable: true,
});
const userId = col('user_id', 'STRING', 'string');

function query(overrides: Partial<TableQuery> = {}): TableQuery {
  return {
    table: 'trades',
    columns: [col('date', 'DATE', 'date'), userId],
    entity: userId,
    window: { column: col('date', 'DATE', 'date'), from: '2026-02-27', to: '2026-03-01' },
    orderByEntity: true,
    ...overrides,
  };
}

describe('BigQuery SQL', () => {
  const warehouse = new BigqueryWarehouse({} as never, at);

  it('reads a DATE window with parameters, skipping rows without an entity, ordered by entity', () => {
    const compiled = warehouse.compile(query());
    expect(compiled.sql).toBe(
      'SELECT `date`, `user_id` FROM `acme-prod.facts.trades` WHERE `date` BETWEEN @from AND @to AND `user_id` IS NOT NULL ORDER BY CAST(CAST(`user_id` AS STRING) AS BYTES)',
    );
    expect(compiled.params).toEqual({ from: '2026-02-27', to: '2026-03-01' });
    expect(compiled.types).toEqual({ from: 'DATE', to: 'DATE' });
  });

  it('reads whole days of a TIMESTAMP or DATETIME column', () => {
    const ts = col('ts', 'TIMESTAMP', 'timestamp');
    expect(
      warehouse.compile(
        query({
          window: { column: ts, from: '2026-03-01', to: '2026-03-01' },
          entity: null,
          orderByEntity: false,
          columns: [ts],
        }),
      ).sql,
    ).toBe(
      'SELECT `ts` FROM `acme-prod.facts.trades` WHERE `ts` >= TIMESTAMP(@from) AND `ts` < TIMESTAMP(DATE_ADD(@to, INTERVAL 1 DAY))',
    );
    const dt = col('at', 'DATETIME', 'datetime');
    expect(
      warehouse.compile(
        query({
          window: { column: dt, from: '2026-03-01', to: '2026-03-01' },
          entity: null,
          orderByEntity: false,
          columns: [dt],
        }),
      ).sql,
    ).toContain('`at` >= DATETIME(@from) AND `at` < DATETIME(DATE_ADD(@to, INTERVAL 1 DAY))');
  });

  it('reads a dimension table without a date filter and quotes odd identifiers', () => {
    const odd = col('we`ird', 'STRING', 'string');
    const compiled = warehouse.compile(
      query({ table: 'users', window: null, columns: [odd], entity: null, orderByEntity: false }),
    );
    expect(compiled.sql).toBe('SELECT `we\\`ird` FROM `acme-prod.facts.users`');
    expect(compiled.params).toEqual({});
  });
});
