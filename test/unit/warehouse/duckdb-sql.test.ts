import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../../../shared/ports/warehouse.ts';
import { compileDuckdb } from '../../../shared/warehouse/dialects/duckdb.ts';

const col = (name: string, type: string, kind: ColumnInfo['kind']): ColumnInfo => ({
  name,
  type,
  kind,
  nullable: true,
});

describe('DuckDB SQL', () => {
  it('reads a DATE window as parameters, ordered by the entity as bytes', () => {
    const date = col('date', 'DATE', 'date');
    const user = col('user_id', 'BIGINT', 'integer');
    const compiled = compileDuckdb({
      table: 'trades',
      columns: [date, user],
      entity: user,
      window: { column: date, from: '2026-02-27', to: '2026-03-01' },
      orderByEntity: true,
    });
    expect(compiled.sql).toBe(
      'SELECT CAST("date" AS VARCHAR) AS "date", "user_id" FROM "trades" WHERE "date" BETWEEN CAST($from AS DATE) AND CAST($to AS DATE) AND "user_id" IS NOT NULL ORDER BY CAST("user_id" AS VARCHAR) COLLATE "binary"',
    );
    expect(compiled.params).toEqual({ from: '2026-02-27', to: '2026-03-01' });
  });

  it('reads a half-open day range on TIMESTAMP and TIMESTAMPTZ columns', () => {
    const ts = col('ts', 'TIMESTAMP', 'timestamp');
    const compiled = compileDuckdb({
      table: 'logins',
      columns: [ts],
      entity: null,
      window: { column: ts, from: '2026-02-28', to: '2026-02-28' },
      orderByEntity: false,
    });
    expect(compiled.sql).toBe(
      'SELECT "ts" FROM "logins" WHERE "ts" >= CAST($start AS TIMESTAMP) AND "ts" < CAST($end AS TIMESTAMP)',
    );
    expect(compiled.params).toEqual({ start: '2026-02-28 00:00:00', end: '2026-03-01 00:00:00' });
    const tz = col('ts', 'TIMESTAMP WITH TIME ZONE', 'timestamp');
    expect(
      compileDuckdb({
        table: 'logins',
        columns: [tz],
        entity: null,
        window: { column: tz, from: '2026-12-31', to: '2026-12-31' },
        orderByEntity: false,
      }).sql,
    ).toContain('CAST($start AS TIMESTAMPTZ)');
  });

  it('quotes identifiers it found in the schema, even odd ones', () => {
    const odd = col('my "col"', 'VARCHAR', 'string');
    expect(compileDuckdb({ table: 'a"b', columns: [odd], entity: null, window: null, orderByEntity: false }).sql).toBe(
      'SELECT "my ""col""" FROM "a""b"',
    );
  });
});
