import { duckType, parseType, type Field } from '../support/fake-bigquery/schema.ts';
import { literal as duckLiteral } from '../support/fake-bigquery/wire.ts';

/**
 * Tables every warehouse adapter is tested on, described once and created
 * by each adapter's own seeding code. Types are GoogleSQL's; DuckDB seeding
 * maps them (LIST for ARRAY, STRUCT, DECIMAL(38,9) for NUMERIC, BLOB...).
 * Values are JSON-like: dates and timestamps as text, BYTES as base64,
 * big integers as text.
 */
export interface FixtureTable {
  name: string;
  /** Column name -> GoogleSQL type, in order. */
  columns: Record<string, string>;
  rows: Array<Array<unknown>>;
}

/** Entity ids whose UTF-16 order differs from their code-point (UTF-8 byte) order, with accents and case. */
export const ODD_IDS = ['😀', 'z', '～', 'É', 'a', '𝔸', 'é', 'B', 'e', 'b'];

export const FIXTURE_TABLES: FixtureTable[] = [
  {
    name: 'trades',
    columns: { date: 'DATE', user_id: 'STRING', symbol: 'STRING', quantity: 'INT64', price: 'FLOAT64' },
    rows: [
      ['2026-02-26', 'u1', 'AAA', 1, 10.5],
      ['2026-02-27', 'u1', 'AAA', 2, 11],
      ['2026-02-28', 'u2', 'BBB', 3, 20],
      ['2026-03-01', 'u1', 'BBB', 4, 21],
      ['2026-03-01', 'u3', 'AAA', '9007199254740993', null],
      ['2026-03-02', 'u2', 'AAA', 6, 12],
      ['2026-03-01', null, 'AAA', 1, 1],
    ],
  },
  {
    name: 'logins',
    columns: { ts: 'TIMESTAMP', user_id: 'STRING', device: 'STRING' },
    rows: [
      ['2026-02-28 23:59:59', 'u2', 'web'],
      ['2026-03-01 00:00:00', 'u4', 'ios'],
      ['2026-03-01 12:30:00.250', 'u2', 'ios'],
      ['2026-03-02 00:00:00', 'u5', 'web'],
    ],
  },
  {
    name: 'users',
    columns: { user_id: 'STRING', profile: 'STRING' },
    rows: [
      ['u1', 'balanced'],
      ['u2', 'aggressive'],
      ['u3', 'cautious'],
    ],
  },
  { name: 'empty_events', columns: { date: 'DATE', user_id: 'STRING' }, rows: [] },
  { name: 'text_dates', columns: { date: 'STRING', user_id: 'STRING' }, rows: [['2026-03-01', 'u1']] },
  {
    name: 'kinds',
    columns: {
      id: 'STRING',
      n: 'INT64',
      num: 'NUMERIC',
      f: 'FLOAT64',
      ok: 'BOOL',
      raw: 'BYTES',
      t: 'TIME',
      ts: 'TIMESTAMP',
      doc: 'JSON',
      tags: 'ARRAY<STRING>',
      counts: 'ARRAY<INT64>',
      s: 'STRUCT<a INT64, b DATE, c ARRAY<TIMESTAMP>, d STRUCT<e NUMERIC, raw BYTES>>',
    },
    rows: [
      [
        'all',
        '-9007199254740993',
        '12345678901234567890.123456789',
        'NaN',
        true,
        'AAEC/w==',
        '12:30:00.25',
        '2026-03-01 12:30:00.250001',
        { x: [1, 2.5], y: { z: null } },
        ['a', 'b'],
        [1, '9007199254740993'],
        { a: 7, b: '2026-01-01', c: ['2026-01-01 00:00:00', '2026-01-01 00:00:00.5'], d: { e: '1.50', raw: 'AQ==' } },
      ],
      ['none', null, null, null, null, null, null, null, null, [], [], null],
    ],
  },
  {
    name: 'people',
    columns: { date: 'DATE', person: 'STRING', n: 'INT64' },
    rows: ODD_IDS.map((id, i) => ['2026-03-01', id, i]),
  },
  {
    name: 'visits',
    columns: { date: 'DATE', person: 'STRING' },
    rows: ODD_IDS.filter((_, i) => i % 2 === 0).map((id) => ['2026-03-01', id]),
  },
];

/** Fields of a fixture table, as BigQuery describes them. */
export function fixtureFields(table: FixtureTable): Field[] {
  return Object.entries(table.columns).map(([name, type]) => parseType(name, type));
}

/** A fixture table's rows as objects keyed by column. */
export function fixtureRows(table: FixtureTable): Array<Record<string, unknown>> {
  const names = Object.keys(table.columns);
  return table.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

/**
 * DuckDB statements creating the fixture tables. A top-level TIMESTAMP is
 * DuckDB's zone-less TIMESTAMP (read as UTC), to cover that path too.
 */
export function duckdbFixtureSql(): string[] {
  return ["SET TimeZone = 'UTC'"].concat(
    FIXTURE_TABLES.flatMap((table) => {
      const fields = fixtureFields(table);
      const type = (f: Field) => (f.type === 'TIMESTAMP' && f.mode !== 'REPEATED' ? 'TIMESTAMP' : duckType(f));
      const create = `CREATE OR REPLACE TABLE "${table.name}" (${fields.map((f) => `"${f.name}" ${type(f)}`).join(', ')})`;
      if (table.rows.length === 0) return [create];
      const rows = fixtureRows(table).map((row) => `(${fields.map((f) => duckLiteral(row[f.name], f)).join(', ')})`);
      return [create, `INSERT INTO "${table.name}" VALUES ${rows.join(', ')}`];
    }),
  );
}

/** A GoogleSQL literal of a fixture value. */
function googleLiteral(value: unknown, field: Field): string {
  const typed = (text: string) => `CAST(${text} AS ${googleType(field)})`;
  if (value === null || value === undefined) return typed('NULL');
  if (field.mode === 'REPEATED') {
    const item = { ...field, mode: 'NULLABLE' as const };
    return typed(`[${(value as unknown[]).map((v) => googleLiteral(v, item)).join(', ')}]`);
  }
  const text = `'${String(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  switch (field.type) {
    case 'RECORD':
      return `STRUCT(${field.fields!.map((f) => `${googleLiteral((value as Record<string, unknown>)[f.name], f)} AS ${f.name}`).join(', ')})`;
    case 'INTEGER':
      return String(value);
    case 'FLOAT':
      return typeof value === 'number' ? String(value) : typed(text);
    case 'BOOLEAN':
      return String(value);
    case 'BYTES':
      return `FROM_BASE64(${text})`;
    case 'JSON':
      return `JSON '${JSON.stringify(value).replaceAll("'", "\\'")}'`;
    case 'TIMESTAMP':
      return `TIMESTAMP '${String(value)}+00'`;
    case 'STRING':
      return text;
    default:
      return `${field.type} ${text}`;
  }
}

function googleType(field: Field): string {
  const base =
    field.type === 'RECORD'
      ? `STRUCT<${field.fields!.map((f) => `${f.name} ${googleType({ ...f })}`).join(', ')}>`
      : (({ INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL' } as Record<string, string>)[field.type] ?? field.type);
  return field.mode === 'REPEATED' ? `ARRAY<${base}>` : base;
}

/** GoogleSQL statements creating the fixture tables in `project.dataset` (the live contract test). */
export function bigqueryFixtureSql(dataset: string): string[] {
  return FIXTURE_TABLES.flatMap((table) => {
    const fields = fixtureFields(table);
    const ref = `\`${dataset}.${table.name}\``;
    const create = `CREATE OR REPLACE TABLE ${ref} (${fields.map((f) => `\`${f.name}\` ${googleType(f)}`).join(', ')})`;
    if (table.rows.length === 0) return [create];
    const rows = fixtureRows(table).map((row) => `(${fields.map((f) => googleLiteral(row[f.name], f)).join(', ')})`);
    return [create, `INSERT INTO ${ref} VALUES ${rows.join(', ')}`];
  });
}
