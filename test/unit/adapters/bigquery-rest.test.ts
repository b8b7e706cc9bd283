import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigqueryResultStore, explainSpoolError } from '../../../shared/adapters/bigquery/bigquery-results.ts';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import type { BigQueryLocation } from '../../../shared/adapters/bigquery/client.ts';
import type { ColumnInfo, TableQuery } from '../../../shared/ports/warehouse.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { entry, project } from '../../support/entries.ts';
import { FakeBigQuery } from '../../support/fake-bigquery/server.ts';
import { isPermanent } from '../../../shared/errors.ts';

/**
 * The BigQuery adapters driving a real @google-cloud/bigquery client whose
 * requests go to a local fake of the REST endpoints: the client's own
 * parameter encoding, paging, retries and value decoding run here.
 */
let fake: FakeBigQuery;
const at = {
  projectId: 'acme-prod',
  dataset: 'facts',
  resultsDataset: 'computed',
  location: 'EU',
  retry: { minTimeout: 1, maxTimeout: 5 },
};
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

function open(overrides: Partial<BigQueryLocation> = {}) {
  const client = fake.client();
  const settings = { ...at, ...overrides };
  return { warehouse: new BigqueryWarehouse(client, settings), results: new BigqueryResultStore(client, settings) };
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

describe('BigQuery retries', () => {
  it('retries a query job that failed with backendError, and reads its rows once', async () => {
    const { warehouse } = open();
    const before = fake.queryJobs.length;
    fake.faults.push({ on: 'insert', match: /facts\.trades/, reason: 'backendError', message: 'Backend error' });
    const rows = await readAll(warehouse, tradesWindow('2026-02-27', '2026-03-01'));
    expect(rows.map((r) => r.user_id)).toEqual(['u1', 'u2']);
    const jobs = fake.queryJobs.slice(before);
    expect(jobs.map((job) => job.status.errorResult?.reason ?? 'ok')).toEqual(['backendError', 'ok']);
  });

  it('never retries an invalid query or a refused permission', async () => {
    const { warehouse } = open();
    const before = fake.queryJobs.length;
    fake.faults.push({ on: 'insert', match: /facts\.trades/, reason: 'accessDenied', message: 'Access Denied: Table' });
    const denied = await readAll(warehouse, tradesWindow('2026-02-27', '2026-03-01')).catch((error: unknown) => error);
    expect(String(denied)).toMatch(
      /Access Denied: Table Grant the service account roles\/bigquery.jobUser on the project, roles\/bigquery.dataViewer on the source dataset/,
    );
    // Marked permanent: the executor fails the computation at once instead of retrying the pass.
    expect(isPermanent(denied)).toBe(true);
    expect(fake.queryJobs.length - before).toBe(1);
    const inserts = fake.received.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs')).length;
    await expect(
      readAll(warehouse, { ...tradesWindow('2026-02-27', '2026-03-01'), table: 'trades` x' }),
    ).rejects.toThrow();
    expect(fake.received.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs')).length - inserts).toBe(1);
  });

  it('retries a load hit by "too many table update operations" and an upload cut half-way', async () => {
    const { results } = open();
    fake.faults.push(
      {
        on: 'upload',
        match: /^results_Retried\$/,
        reason: 'rateLimitExceeded',
        message: 'Exceeded rate limits: too many table update operations for this table',
      },
      { on: 'interrupt-upload', reason: 'interrupt' },
    );
    const writer = await results.openReplace('Retried', '2026-03-01');
    await writer.append([{ entityId: 'a', result: 1 }]);
    await writer.commit();
    expect(fake.faults).toEqual([]); // both failures happened
    // Three uploads: the cut one never became a load job, the rate-limited one did and failed.
    expect(fake.loadsPerTable.get('computed.results_Retried@20260301')).toBe(2);
    expect(await results.read('Retried', '2026-03-01')).toEqual([{ entityId: 'a', result: 1 }]);
  });
});

describe('BigQuery results spool', () => {
  it('spools into warehouse.spoolDir (the Cloud Run volume), not the OS temp folder, and leaves nothing behind', async () => {
    const spool = await mkdtemp(join(tmpdir(), 'compute-spool-test-'));
    try {
      const { results } = open({ spoolDir: spool });
      const writer = await results.openReplace('Spooled', '2026-03-01');
      await writer.append([{ entityId: 'u1', result: { v: 1 } }]);
      const [folder] = await readdir(spool);
      expect(folder).toMatch(/^compute-results-/);
      expect(await readdir(join(spool, folder!))).toEqual(['results.ndjson']);
      await writer.commit();
      expect(await results.read('Spooled', '2026-03-01')).toEqual([{ entityId: 'u1', result: { v: 1 } }]);
      expect(await readdir(spool)).toEqual([]);
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });

  it('fails a spool that is full with what to raise, and passes other errors on as they are', async () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(explainSpoolError(full, '/spool', 'Totals', '2026-03-01').message).toBe(
      "The results of Totals on 2026-03-01 do not fit in the spool folder /spool (warehouse.spoolDir): it is full. On Cloud Run it is the Terraform module's in-memory volume: raise results_spool_size (and planner_executor.memory with it).",
    );
    // Cloud Run documents a full in-memory volume as an out-of-memory error.
    const volume = Object.assign(new Error('ENOMEM: out of memory, write'), { code: 'ENOMEM' });
    expect(explainSpoolError(volume, '/spool', 'Totals', '2026-03-01').message).toMatch(/^The results of Totals/);
    const other = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(explainSpoolError(other, '/spool', 'Totals', '2026-03-01')).toBe(other);
  });
});

describe('BigQuery job settings', () => {
  it('sends maximumBytesBilled with every query, results reads and deletes included', async () => {
    const { warehouse, results } = open({ maximumBytesBilled: 50_000_000 });
    const before = fake.queryJobs.length;
    await warehouse.describeTable('trades');
    await warehouse.listTables();
    await readAll(warehouse, tradesWindow('2026-02-27', '2026-03-01'));
    const writer = await results.openReplace('Budget', '2026-03-01');
    await writer.commit();
    await results.read('Budget', '2026-03-01', ['x']);
    for await (const chunk of results.stream('Budget', '2026-03-01')) void chunk;
    const jobs = fake.queryJobs.slice(before).map((job) => job.configuration.query as { maximumBytesBilled?: string });
    expect(jobs.length).toBeGreaterThanOrEqual(6);
    expect(jobs.every((job) => job.maximumBytesBilled === '50000000')).toBe(true);
  });

  it('refuses a read that would bill more than the budget, naming the limit', async () => {
    const { warehouse } = open({ maximumBytesBilled: 10 });
    await expect(readAll(warehouse, tradesWindow('2026-02-27', '2026-03-01'))).rejects.toThrow(
      /Query exceeded limit for bytes billed: 10\b.* Raise warehouse.maximumBytesBilled in compute.config.json/,
    );
  });

  it('says which settings to check when the dataset is not found, and to run again when retries ran out', async () => {
    const { warehouse } = open({ dataset: 'fact' });
    await expect(warehouse.describeTable('trades')).rejects.toThrow(
      /Not found: Dataset acme-prod:fact\b.* Check warehouse.projectId, dataset, resultsDataset and location in compute.config.json/,
    );
    fake.faults.push({
      on: 'insert',
      match: /facts\.trades/,
      reason: 'backendError',
      message: 'Backend error',
      times: 3,
    });
    const { warehouse: impatient } = open({ retry: { retries: 2, minTimeout: 1, maxTimeout: 5 } });
    const exhausted = await readAll(impatient, tradesWindow('2026-02-27', '2026-03-01')).catch(
      (error: unknown) => error,
    );
    expect(String(exhausted)).toContain('Backend error BigQuery failed 3 times in a row; run again later.');
    expect(isPermanent(exhausted)).toBe(false);
  });

  it('puts the location in every job reference, loads included, so jobs in a region are found again', async () => {
    await fake.dataset('tokyo_facts', 'asia-northeast1');
    await fake.dataset('tokyo_results', 'asia-northeast1');
    await fake.table('tokyo_facts', 'trades', {
      columns: { date: 'DATE', user_id: 'STRING', quantity: 'INT64' },
      rows: [{ date: '2026-03-01', user_id: 'u1', quantity: 1 }],
    });
    const client = fake.client();
    const tokyo = {
      projectId: 'acme-prod',
      dataset: 'tokyo_facts',
      resultsDataset: 'tokyo_results',
      location: 'asia-northeast1',
      retry: at.retry,
    };
    const warehouse = new BigqueryWarehouse(client, tokyo);
    const results = new BigqueryResultStore(client, tokyo);
    expect(await readAll(warehouse, tradesWindow('2026-03-01', '2026-03-01'))).toEqual([
      { date: '2026-03-01', user_id: 'u1', quantity: 1 },
    ]);
    const writer = await results.openReplace('Tokyo', '2026-03-01');
    await writer.append([{ entityId: 'u1', result: 1 }]);
    await writer.commit();
    expect(await results.read('Tokyo', '2026-03-01')).toEqual([{ entityId: 'u1', result: 1 }]);
    const upload = fake.received.filter((r) => r.path.startsWith('/upload/')).at(-1)!;
    const job = [...fake.jobs.values()].at(-2)!;
    expect(job.configuration).toMatchObject({
      load: {
        destinationTable: { datasetId: 'tokyo_results', tableId: 'results_Tokyo$20260301' },
        writeDisposition: 'WRITE_TRUNCATE',
      },
    });
    expect(job.reference.location).toBe('asia-northeast1');
    expect((job.configuration.load as Record<string, unknown>).location).toBeUndefined();
    expect(upload.query.uploadType).toBe('multipart');
  });
});

describe('BigQuery results too large for a query response', () => {
  it('reads them through a scratch table in the results dataset, which expires and is dropped after', async () => {
    const { warehouse } = open();
    fake.responseRowsLimit = 2;
    try {
      const rows = await readAll(warehouse, tradesWindow('2026-02-26', '2026-03-02'));
      expect(rows.map((r) => r.user_id)).toEqual(['u1', 'u1', 'u2', 'u3']);
    } finally {
      fake.responseRowsLimit = Number.POSITIVE_INFINITY;
    }
    const [failed, written] = fake.queryJobs.slice(-2);
    expect(failed!.status.errorResult?.reason).toBe('responseTooLarge');
    const destination = (written!.configuration.query as { destinationTable: { datasetId: string; tableId: string } })
      .destinationTable;
    expect(destination.datasetId).toBe('computed');
    expect(destination.tableId).toMatch(/^_compute_read_[0-9a-f]{32}$/);
    const created = fake.received.find(
      (r) =>
        r.method === 'POST' &&
        (r.body as { tableReference?: { tableId?: string } }).tableReference?.tableId === destination.tableId,
    )!;
    expect(Number((created.body as { expirationTime: string }).expirationTime)).toBeGreaterThan(Date.now());
    expect(fake.catalog.hasTable('computed', destination.tableId)).toBe(false);
  });
  it('drops the scratch table when the read through it fails', async () => {
    const { warehouse } = open();
    const scratches = () => [...fake.catalog.tables.keys()].filter((key) => key.startsWith('computed._compute_read_'));
    fake.responseRowsLimit = 2;
    // The first job fails at insert (responseTooLarge); the second, into the scratch table, when its rows are read.
    // (Answered as 503, which the client itself retries 3 times.)
    fake.faults.push({
      on: 'results',
      match: /facts\.trades/,
      reason: 'accessDenied',
      message: 'Access Denied',
      times: 4,
    });
    try {
      await expect(readAll(warehouse, tradesWindow('2026-02-26', '2026-03-02'))).rejects.toThrow('Access Denied');
    } finally {
      fake.responseRowsLimit = Number.POSITIVE_INFINITY;
      fake.faults.length = 0;
    }
    expect(fake.queryJobs.at(-1)!.configuration.query).toHaveProperty('destinationTable');
    expect(scratches()).toEqual([]);
  });
});

describe('BigQuery partitioning checks (validate --warehouse)', () => {
  it('refuses a read without the required partition filter, and warns when the window cannot prune', async () => {
    await fake.table('facts', 'clicks', {
      columns: { day: 'DATE', at: 'TIMESTAMP', user_id: 'STRING' },
      timePartitioning: { type: 'DAY', field: 'day' },
      requirePartitionFilter: true,
      rows: [{ day: '2026-03-01', at: '2026-03-01 10:00:00', user_id: 'u1' }],
    });
    await fake.table('facts', 'orders', {
      columns: { day: 'DATE', placed: 'TIMESTAMP', user_id: 'STRING' },
      timePartitioning: { type: 'DAY', field: 'day' },
    });
    await fake.table('facts', 'pings', {
      columns: { day: 'DATE', user_id: 'STRING' },
      timePartitioning: { type: 'DAY' },
    });
    const { warehouse } = open();
    expect((await warehouse.describeTable('clicks'))!.partitioning).toEqual({ column: 'day', requireFilter: true });
    expect((await warehouse.describeTable('pings'))!.partitioning).toEqual({
      column: '_PARTITIONTIME',
      requireFilter: false,
    });
    const reader = new ComputationReader({
      warehouse,
      registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
      project: project({ dateField: 'day' }),
    });
    const plan = (requires: Record<string, object>) =>
      reader.plan(entry({ name: 'Partitions', type: 'global', requires }), '2026-03-01');

    const whole = await plan({ clicks: { dateField: null } });
    expect(whole.problems.map((p) => [p.code, p.message])).toEqual([
      [
        'PARTITION_FILTER_REQUIRED',
        "Computation 'Partitions' requires table 'clicks', which is partitioned on column 'day' and requires a partition filter, but reads it with dateField: null (no date filter): BigQuery refuses such a query. Set requires.clicks.dateField to 'day'.",
      ],
    ]);
    expect((await plan({ clicks: { dateField: 'at' } })).problems.map((p) => p.code)).toEqual([
      'PARTITION_FILTER_REQUIRED',
    ]);

    const byPlaced = await plan({ orders: { dateField: 'placed' } });
    expect(byPlaced.problems).toEqual([]);
    expect(byPlaced.warnings.map((w) => w.message)).toEqual([
      "Computation 'Partitions' requires table 'orders' with a window on 'placed', but the table is partitioned on column 'day': the window cannot prune partitions, so every run scans (and BigQuery bills) the whole table, not the days it reads. Point requires.orders.dateField at 'day' if it holds the same date, or partition the table on 'placed'.",
    ]);
    expect((await plan({ pings: {} })).warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('partitioned by ingestion time (_PARTITIONTIME): the window cannot prune partitions'),
    ]);

    const good = await plan({ clicks: {}, orders: {} });
    expect([good.problems, good.warnings]).toEqual([[], []]);
    expect((await reader.readAll(good.reads)).data.clicks).toEqual([
      { day: '2026-03-01', at: '2026-03-01T10:00:00.000Z', user_id: 'u1' },
    ]);
  });
});
