import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigqueryWarehouse } from '../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { StorageReader } from '../../shared/adapters/bigquery/storage-reader.ts';
import type { Row } from '../../shared/model/types.ts';
import { FakeBigQuery } from '../support/fake-bigquery/server.ts';
import { FakeStorageRead } from '../support/fake-bigquery/storage-read.ts';
import { FIXTURE_TABLES, fixtureRows } from './warehouse-fixture.ts';

/**
 * The Storage Read path against the REST path, over the same fixture
 * tables and the same DuckDB rows: the official Storage Read client talks
 * gRPC to the stand-in, the official BigQuery client talks REST to the
 * fake, and every row of every table must come back identical (every
 * type, nested ARRAY and STRUCT, NUMERIC exact, ids beyond the BMP).
 */
let fake: FakeBigQuery;
let stand: FakeStorageRead;
let rest: BigqueryWarehouse;
let reader: StorageReader;

const at = { projectId: 'storage-project', dataset: 'facts', location: 'US' };

/** A table of every type the fixture does not hold, and enough rows for several record batches. */
const EXTRA = {
  columns: {
    id: 'STRING',
    dt: 'DATETIME',
    big: 'BIGNUMERIC',
    geo: 'GEOGRAPHY',
    d: 'DATE',
    span: 'RANGE<DATE>',
    nested: 'ARRAY<STRUCT<k STRING, v ARRAY<NUMERIC>>>',
  },
  rows: Array.from({ length: 2500 }, (_, i) => ({
    id: `e${String(i).padStart(5, '0')}`,
    dt: `2026-03-01 12:00:${String(i % 60).padStart(2, '0')}${i % 3 === 0 ? '.000123' : ''}`,
    big: i % 5 === 0 ? null : `${i}.${'1'.repeat(30)}`,
    geo: i % 7 === 0 ? null : `POINT(${i} 1)`,
    d: i % 11 === 0 ? null : '2026-03-01',
    span: i % 2 === 0 ? { start: '2026-01-01', end: null } : { start: null, end: '2026-02-01' },
    nested: i % 4 === 0 ? [] : [{ k: `k${i}`, v: ['-1.5', `${i}.000000001`] }],
  })),
};

beforeAll(async () => {
  fake = await FakeBigQuery.start(at.projectId);
  stand = await FakeStorageRead.start(fake);
  await fake.dataset('facts', 'US');
  for (const table of FIXTURE_TABLES)
    await fake.table('facts', table.name, { columns: table.columns, rows: fixtureRows(table) });
  await fake.table('facts', 'extra', EXTRA);
  rest = new BigqueryWarehouse(fake.client(), at);
  reader = new StorageReader(stand.client(), { billingProject: at.projectId, backoffMs: 1 });
}, 60_000);

afterAll(async () => {
  await stand?.close();
  await fake?.close();
});

async function throughRest(table: string, columns: string[]): Promise<Row[]> {
  const list = columns.map((c) => `\`${c}\``).join(', ');
  const rows: Row[] = [];
  for await (const page of rest.stream({
    sql: `SELECT ${list} FROM \`${at.projectId}.facts.${table}\``,
    params: {},
    types: {},
  }))
    rows.push(...page);
  return rows;
}

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('Storage Read API path (gRPC stand-in) against the REST path', () => {
  for (const table of [
    ...FIXTURE_TABLES.map((t) => ({ name: t.name, columns: t.columns })),
    { name: 'extra', columns: EXTRA.columns },
  ]) {
    it(`reads identical rows of '${table.name}' (${Object.values(table.columns).join(', ')})`, async () => {
      const columns = Object.keys(table.columns);
      const viaStorage = await reader.readAll({ ...at, table: table.name, columns, restriction: '' });
      const viaRest = await throughRest(table.name, columns);
      expect(viaStorage.length).toBe(viaRest.length);
      expect(sorted(viaStorage)).toEqual(sorted(viaRest));
      // Keys in the order the query selected, as on the REST path.
      if (viaStorage[0] !== undefined) expect(Object.keys(viaStorage[0])).toEqual(columns);
    });
  }

  it('gives exact NUMERIC, BIGNUMERIC and microsecond values, not rounded ones', async () => {
    const [all] = await reader.readAll({
      ...at,
      table: 'kinds',
      columns: ['num', 'ts', 'n', 's'],
      restriction: "id = 'all'",
    });
    expect(all).toEqual({
      num: '12345678901234567890.123456789',
      ts: '2026-03-01T12:30:00.250001Z',
      n: '-9007199254740993',
      s: {
        a: 7,
        b: '2026-01-01',
        c: ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.500Z'],
        d: { e: '1.5', raw: 'AQ==' },
      },
    });
    const [row] = await reader.readAll({ ...at, table: 'extra', columns: ['big', 'dt'], restriction: "id = 'e00003'" });
    expect(row).toEqual({ big: `3.${'1'.repeat(30)}`, dt: '2026-03-01T12:00:03.000123' });
  });

  it('reads only the rows of its restriction, with the selected columns', async () => {
    const rows = await reader.readAll({ ...at, table: 'people', columns: ['person'], restriction: 'n >= 5' });
    expect(rows.map((r) => r.person).sort()).toEqual(['e', 'b', '𝔸', 'é', 'B'].sort());
    expect(await reader.readAll({ ...at, table: 'people', columns: ['person'], restriction: 'n > 100' })).toEqual([]);
  });

  it('resumes a stream that fails mid-read at the offset it reached: no row twice, none lost', async () => {
    stand.reads.length = 0;
    stand.faults.push({ afterRows: 1024, code: 14, times: 1 });
    const rows = await reader.readAll({ ...at, table: 'extra', columns: ['id'], restriction: '' });
    expect(stand.reads.map((r) => r.offset)).toEqual([0, 1024]);
    expect(rows).toHaveLength(2500);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2500);
  });

  it('gives up on a stream that keeps failing, naming the table', async () => {
    const stubborn = new StorageReader(stand.client(), { billingProject: at.projectId, backoffMs: 1, resumes: 2 });
    stand.faults.push({ afterRows: 0, code: 14, times: 10 });
    // Every reading fails before its first row: the stream never gets anywhere.
    await expect(stubborn.readAll({ ...at, table: 'extra', columns: ['id'], restriction: '' })).rejects.toThrow(
      /storage-project\.facts\.extra.*Connection reset/,
    );
    stand.faults.length = 0;
  });

  it('replaces a session that expired and reads it from the start', async () => {
    const before = stand.sessions.size;
    stand.expireOnCreate = 1;
    const rows = await reader.readAll({ ...at, table: 'extra', columns: ['id', 'big'], restriction: '' });
    expect(stand.sessions.size).toBe(before + 2);
    expect(rows).toHaveLength(2500);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2500);
  });

  it('names an unknown table in its error', async () => {
    await expect(reader.readAll({ ...at, table: 'no_such', columns: ['id'], restriction: '' })).rejects.toThrow(
      /storage-project\.facts\.no_such.*Not found: Table storage-project:facts\.no_such/,
    );
  });
});
