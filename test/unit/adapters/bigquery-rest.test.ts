import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigqueryResultStore } from '../../../shared/adapters/bigquery/bigquery-results.ts';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import type { BigQueryLike } from '../../../shared/adapters/bigquery/client.ts';
import type { ColumnInfo, TableQuery } from '../../../shared/ports/warehouse.ts';
import { FakeBigQuery } from '../../support/fake-bigquery/server.ts';

/**
 * The BigQuery adapters driving a real @google-cloud/bigquery client whose
 * requests go to a local fake of the REST endpoints: the client's own
 * parameter encoding, paging, retries and value decoding run here.
 */
let fake: FakeBigQuery;
const at = { projectId: 'acme-prod', dataset: 'facts', resultsDataset: 'computed', location: 'EU' };
const col = (name: string, type: string, kind: ColumnInfo['kind']): ColumnInfo => ({
  name,
  type,
  kind,
  nullable: true,
});

beforeAll(async () => {
  fake = await FakeBigQuery.start('acme-prod');
  await fake.dataset('facts', 'EU');
  await fake.dataset('computed', 'EU');
  await fake.table('facts', 'trades', {
    columns: { date: 'DATE', user_id: 'STRING', quantity: 'INT64' },
    rows: [
      { date: '2026-02-26', user_id: 'u1', quantity: 1 },
      { date: '2026-02-27', user_id: 'u2', quantity: 2 },
      { date: '2026-03-01', user_id: 'u1', quantity: '9007199254740993' },
      { date: '2026-03-02', user_id: 'u3', quantity: 4 },
    ],
  });
});
afterAll(() => fake?.close());

function open() {
  const client = fake.client({ location: 'EU' }) as unknown as BigQueryLike;
  return { warehouse: new BigqueryWarehouse(client, at), results: new BigqueryResultStore(client, at) };
}

async function readAll(warehouse: BigqueryWarehouse, query: TableQuery) {
  const rows = [];
  for await (const page of warehouse.stream(warehouse.compile(query))) rows.push(...page);
  return rows;
}

const tradesWindow = (from: string, to: string): TableQuery => {
  const date = col('date', 'DATE', 'date');
  const user = col('user_id', 'STRING', 'string');
  return {
    table: 'trades',
    columns: [date, user, col('quantity', 'INT64', 'integer')],
    entity: user,
    window: { column: date, from, to },
    orderByEntity: true,
  };
};

describe('BigQuery DATE parameters reach the API with their value', () => {
  it('reads the rows of a DATE window', async () => {
    const { warehouse } = open();
    expect(await readAll(warehouse, tradesWindow('2026-02-27', '2026-03-01'))).toEqual([
      { date: '2026-03-01', user_id: 'u1', quantity: '9007199254740993' },
      { date: '2026-02-27', user_id: 'u2', quantity: 2 },
    ]);
    const sent = fake.queryJobs.at(-1)!.configuration.query as { queryParameters: unknown[] };
    expect(sent.queryParameters).toEqual([
      { name: 'from', parameterType: { type: 'DATE' }, parameterValue: { value: '2026-02-27' } },
      { name: 'to', parameterType: { type: 'DATE' }, parameterValue: { value: '2026-03-01' } },
    ]);
  });

  it('reads stored results of a date back, and an empty replace deletes that date only', async () => {
    const { results } = open();
    let writer = await results.openReplace('Totals', '2026-03-01');
    await writer.append([{ entityId: 'u1', result: { v: 1 } }]);
    await writer.commit();
    writer = await results.openReplace('Totals', '2026-03-02');
    await writer.append([{ entityId: 'u2', result: 2 }]);
    await writer.commit();
    expect(await results.read('Totals', '2026-03-01')).toEqual([{ entityId: 'u1', result: { v: 1 } }]);
    expect(await results.read('Totals', '2026-03-01', ['u1', 'u9'])).toEqual([{ entityId: 'u1', result: { v: 1 } }]);
    writer = await results.openReplace('Totals', '2026-03-01');
    await writer.commit();
    expect(await results.read('Totals', '2026-03-01')).toEqual([]);
    expect(await results.read('Totals', '2026-03-02')).toEqual([{ entityId: 'u2', result: 2 }]);
  });
});

describe('BigQuery reads through the client', () => {
  it('pages through results, one request per page, with portable values', async () => {
    const { warehouse } = open();
    fake.pageRowsCap = 2;
    try {
      const pages = [];
      for await (const page of warehouse.stream(warehouse.compile(tradesWindow('2026-02-26', '2026-03-02'))))
        pages.push(page.map((r) => `${r.user_id}/${String(r.quantity)}`));
      expect(pages).toEqual([
        ['u1/1', 'u1/9007199254740993'],
        ['u2/2', 'u3/4'],
      ]);
    } finally {
      fake.pageRowsCap = Number.POSITIVE_INFINITY;
    }
    const job = fake.queryJobs.at(-1)!.reference.jobId;
    const pageTokens = fake.received.filter((r) => r.path.endsWith(`/queries/${job}`)).map((r) => r.query.pageToken);
    expect(pageTokens).toEqual([undefined, '2']);
  });

  it('reads chosen entities with a typed ARRAY<STRING> parameter', async () => {
    const { results } = open();
    const writer = await results.openReplace('Chosen', '2026-03-01');
    await writer.append([
      { entityId: 'a', result: 1 },
      { entityId: 'b', result: 2 },
    ]);
    await writer.commit();
    expect(await results.read('Chosen', '2026-03-01', ['b', 'zz'])).toEqual([{ entityId: 'b', result: 2 }]);
    expect(fake.queryJobs.at(-1)!.params).toEqual({
      date: { type: 'DATE', value: '2026-03-01' },
      ids: { type: 'ARRAY<STRING>', value: ['b', 'zz'] },
    });
  });
});

describe('BigQuery dry runs', () => {
  it('reads the accuracy from statistics.query: UNKNOWN is unknown (not 0), LOWER_BOUND says so', async () => {
    const { warehouse } = open();
    const compiled = warehouse.compile(tradesWindow('2026-02-27', '2026-03-01'));
    const bytes = 4 * 3 * 8; // the fake's size: 4 rows of 3 columns, 8 bytes each
    try {
      fake.dryRunAccuracy = 'PRECISE';
      expect(await warehouse.estimate(compiled)).toEqual({ bytes, note: null });
      fake.dryRunAccuracy = 'UPPER_BOUND';
      expect(await warehouse.estimate(compiled)).toEqual({ bytes, note: 'upper bound' });
      fake.dryRunAccuracy = 'LOWER_BOUND';
      expect(await warehouse.estimate(compiled)).toEqual({ bytes, note: 'lower bound: it may scan more' });
      fake.dryRunAccuracy = 'UNKNOWN';
      expect(await warehouse.estimate(compiled)).toEqual({
        bytes: null,
        note: 'BigQuery could not estimate this query (accuracy UNKNOWN)',
      });
    } finally {
      fake.dryRunAccuracy = 'PRECISE';
    }
    const dryRun = fake.received.filter((r) => r.path.endsWith('/jobs') && r.method === 'POST').at(-1)!.body as {
      configuration: { dryRun: boolean; query: { queryParameters: unknown[] } };
    };
    expect(dryRun.configuration.dryRun).toBe(true);
    expect(dryRun.configuration.query.queryParameters).toContainEqual({
      name: 'from',
      parameterType: { type: 'DATE' },
      parameterValue: { value: '2026-02-27' },
    });
  });
});

describe('BigQuery schema discovery', () => {
  it('leaves out partition pseudo-columns, which BigQuery refuses to select without an alias', async () => {
    await fake.table('facts', 'visits', {
      columns: { day: 'DATE', user_id: 'STRING' },
      timePartitioning: { type: 'DAY' },
      rows: [{ day: '2026-03-01', user_id: 'u1' }],
    });
    const { warehouse } = open();
    const schema = await warehouse.describeTable('visits');
    expect(schema!.columns.map((c) => c.name)).toEqual(['day', 'user_id']);
    const query: TableQuery = {
      table: 'visits',
      columns: schema!.columns,
      entity: null,
      window: null,
      orderByEntity: false,
    };
    expect(await readAll(warehouse, query)).toEqual([{ day: '2026-03-01', user_id: 'u1' }]);
  });
});

describe('BigQuery results tables', () => {
  it('creates a results table once when dates run side by side: 409 Already Exists is success', async () => {
    const { results } = open();
    await Promise.all(
      ['2026-03-01', '2026-03-02', '2026-03-03'].map(async (date) => {
        const writer = await results.openReplace('SideBySide', date);
        await writer.append([{ entityId: 'e', result: date }]);
        await writer.commit();
      }),
    );
    const creates = fake.received.filter((r) => r.method === 'POST' && r.path.endsWith('/datasets/computed/tables'));
    expect(creates.length).toBeGreaterThan(1); // the race happened: more than one create was sent
    for (const date of ['2026-03-01', '2026-03-02', '2026-03-03'])
      expect(await results.read('SideBySide', date)).toEqual([{ entityId: 'e', result: date }]);
  });
});

describe('BigQuery row values', () => {
  it('converts every type to plain values, recursively through ARRAY and STRUCT, NUMERIC exactly', async () => {
    await fake.table('facts', 'kinds', {
      columns: {
        id: 'STRING',
        n: 'INT64',
        f: 'FLOAT64',
        nan: 'FLOAT64',
        num: 'NUMERIC',
        big: 'BIGNUMERIC',
        ok: 'BOOL',
        raw: 'BYTES',
        d: 'DATE',
        dt: 'DATETIME',
        t: 'TIME',
        ts: 'TIMESTAMP',
        geo: 'GEOGRAPHY',
        doc: 'JSON',
        span: 'RANGE<DATE>',
        moments: 'RANGE<TIMESTAMP>',
        tags: 'ARRAY<STRING>',
        counts: 'ARRAY<INT64>',
        s: 'STRUCT<a INT64, b DATE, c ARRAY<TIMESTAMP>, d STRUCT<e NUMERIC, raw BYTES>>',
        list: 'ARRAY<STRUCT<at TIME, n INT64>>',
      },
      rows: [
        {
          id: 'all',
          n: '9007199254740993',
          f: 1.5,
          nan: 'NaN',
          num: '12345678901234567890.123456789',
          big: '123456789012345678901234567890123456789.25',
          ok: true,
          raw: 'AAEC/w==',
          d: '2026-03-01',
          dt: '2026-03-01 01:02:03.5',
          t: '12:30:00.25',
          ts: '2026-03-01 12:30:00.250001',
          geo: 'POINT(1 2)',
          doc: { x: [1, 2], y: { z: null } },
          span: { start: '2026-01-01', end: null },
          moments: { start: '2026-01-01 00:00:00', end: '2026-01-02 00:00:00.5' },
          tags: ['a', 'b'],
          counts: [1, '9007199254740993'],
          s: { a: 7, b: '2026-01-01', c: ['2026-01-01 00:00:00'], d: { e: '1.50', raw: 'AQ==' } },
          list: [{ at: '00:00:01', n: 2 }],
        },
        { id: 'none', tags: [], counts: [], list: [] },
      ],
    });
    const { warehouse } = open();
    const schema = (await warehouse.describeTable('kinds'))!;
    const rows = await readAll(warehouse, {
      table: 'kinds',
      columns: schema.columns,
      entity: null,
      window: null,
      orderByEntity: false,
    });
    expect(rows.find((r) => r.id === 'all')).toEqual({
      id: 'all',
      n: '9007199254740993',
      f: 1.5,
      nan: 'NaN',
      num: '12345678901234567890.123456789',
      big: '123456789012345678901234567890123456789.25',
      ok: true,
      raw: 'AAEC/w==',
      d: '2026-03-01',
      dt: '2026-03-01T01:02:03.500000',
      t: '12:30:00.250000',
      ts: '2026-03-01T12:30:00.250001Z',
      geo: 'POINT(1 2)',
      doc: { x: [1, 2], y: { z: null } },
      span: { start: '2026-01-01', end: null },
      moments: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.500Z' },
      tags: ['a', 'b'],
      counts: [1, '9007199254740993'],
      s: { a: 7, b: '2026-01-01', c: ['2026-01-01T00:00:00.000Z'], d: { e: '1.5', raw: 'AQ==' } },
      list: [{ at: '00:00:01', n: 2 }],
    });
    const none = rows.find((r) => r.id === 'none')!;
    expect(Object.entries(none).filter(([, v]) => v !== null)).toEqual([
      ['id', 'none'],
      ['tags', []],
      ['counts', []],
      ['list', []],
    ]);
  });
});
