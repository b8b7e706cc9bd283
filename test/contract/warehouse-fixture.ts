/**
 * Tables every warehouse adapter is tested on, described once and created
 * by each adapter's own seeding code. Types use BigQuery's names; DuckDB
 * seeding maps them.
 */
export interface FixtureColumn {
  name: string;
  type: 'DATE' | 'TIMESTAMP' | 'STRING' | 'INT64' | 'FLOAT64';
}

export interface FixtureTable {
  name: string;
  columns: FixtureColumn[];
  rows: Array<Array<string | number | null>>;
}

export const FIXTURE_TABLES: FixtureTable[] = [
  {
    name: 'trades',
    columns: [
      { name: 'date', type: 'DATE' },
      { name: 'user_id', type: 'STRING' },
      { name: 'symbol', type: 'STRING' },
      { name: 'quantity', type: 'INT64' },
      { name: 'price', type: 'FLOAT64' },
    ],
    rows: [
      ['2026-02-26', 'u1', 'AAA', 1, 10.5],
      ['2026-02-27', 'u1', 'AAA', 2, 11],
      ['2026-02-28', 'u2', 'BBB', 3, 20],
      ['2026-03-01', 'u1', 'BBB', 4, 21],
      ['2026-03-01', 'u3', 'AAA', 9_007_199_254_740_993, null],
      ['2026-03-02', 'u2', 'AAA', 6, 12],
      ['2026-03-01', null, 'AAA', 1, 1],
    ],
  },
  {
    name: 'logins',
    columns: [
      { name: 'ts', type: 'TIMESTAMP' },
      { name: 'user_id', type: 'STRING' },
      { name: 'device', type: 'STRING' },
    ],
    rows: [
      ['2026-02-28 23:59:59', 'u2', 'web'],
      ['2026-03-01 00:00:00', 'u4', 'ios'],
      ['2026-03-01 12:30:00.250', 'u2', 'ios'],
      ['2026-03-02 00:00:00', 'u5', 'web'],
    ],
  },
  {
    name: 'users',
    columns: [
      { name: 'user_id', type: 'STRING' },
      { name: 'profile', type: 'STRING' },
    ],
    rows: [
      ['u1', 'balanced'],
      ['u2', 'aggressive'],
      ['u3', 'cautious'],
    ],
  },
  {
    name: 'empty_events',
    columns: [
      { name: 'date', type: 'DATE' },
      { name: 'user_id', type: 'STRING' },
    ],
    rows: [],
  },
  {
    name: 'text_dates',
    columns: [
      { name: 'date', type: 'STRING' },
      { name: 'user_id', type: 'STRING' },
    ],
    rows: [['2026-03-01', 'u1']],
  },
];

const DUCKDB_TYPES: Record<FixtureColumn['type'], string> = {
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
};

function literal(value: string | number | null, type: FixtureColumn['type']): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number')
    return Number.isSafeInteger(value) || type === 'FLOAT64' ? String(value) : BigInt(value).toString();
  return `'${value.replaceAll("'", "''")}'`;
}

/** DuckDB statements creating the fixture tables. */
export function duckdbFixtureSql(): string[] {
  return FIXTURE_TABLES.flatMap((table) => {
    const create = `CREATE OR REPLACE TABLE "${table.name}" (${table.columns.map((c) => `"${c.name}" ${DUCKDB_TYPES[c.type]}`).join(', ')})`;
    if (table.rows.length === 0) return [create];
    // 9007199254740993 is not a double: write it as text so it reaches the BIGINT exactly.
    const rows = table.rows.map(
      (row) =>
        `(${row.map((v, i) => (table.columns[i]!.type === 'INT64' && typeof v === 'number' && !Number.isSafeInteger(v) ? '9007199254740993' : literal(v, table.columns[i]!.type))).join(', ')})`,
    );
    return [create, `INSERT INTO "${table.name}" VALUES ${rows.join(', ')}`];
  });
}

/** GoogleSQL statements creating the fixture tables in `project.dataset`. */
export function bigqueryFixtureSql(dataset: string): string[] {
  return FIXTURE_TABLES.flatMap((table) => {
    const ref = `\`${dataset}.${table.name}\``;
    const create = `CREATE OR REPLACE TABLE ${ref} (${table.columns.map((c) => `\`${c.name}\` ${c.type}`).join(', ')})`;
    if (table.rows.length === 0) return [create];
    const rows = table.rows.map(
      (row) =>
        `(${row
          .map((v, i) => {
            const type = table.columns[i]!.type;
            if (v === null) return 'NULL';
            if (type === 'DATE') return `DATE '${v}'`;
            if (type === 'TIMESTAMP') return `TIMESTAMP '${v}+00'`;
            if (type === 'INT64' && typeof v === 'number' && !Number.isSafeInteger(v)) return '9007199254740993';
            return literal(v, type);
          })
          .join(', ')})`,
    );
    return [create, `INSERT INTO ${ref} VALUES ${rows.join(', ')}`];
  });
}
