import { describe, expect, it } from 'vitest';
import { BigqueryResultStore } from '../../../shared/adapters/bigquery/bigquery-results.ts';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import type { ColumnInfo, TableQuery } from '../../../shared/ports/warehouse.ts';
import { RecordingBigQuery } from '../../support/recording-bigquery.ts';

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
  const warehouse = new BigqueryWarehouse(new RecordingBigQuery(), at);

  it('reads a DATE window with parameters, skipping rows without an entity, ordered by entity', () => {
    const compiled = warehouse.compile(query());
    expect(compiled.sql).toBe(
      'SELECT `date`, `user_id` FROM `acme-prod.facts.trades` WHERE `date` BETWEEN @from AND @to AND `user_id` IS NOT NULL ORDER BY CAST(`user_id` AS STRING)',
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

describe('BigQuery requests', () => {
  it('discovers a schema from the dataset INFORMATION_SCHEMA with a parameter', async () => {
    const client = new RecordingBigQuery();
    client.answers.push([
      [
        { column_name: 'date', data_type: 'DATE', is_nullable: 'NO' },
        { column_name: 'n', data_type: 'INT64', is_nullable: 'YES' },
      ],
    ]);
    const schema = await new BigqueryWarehouse(client, at).describeTable('trades');
    expect(client.jobs[0]).toMatchObject({
      query:
        'SELECT column_name, data_type, is_nullable FROM `acme-prod.facts`.INFORMATION_SCHEMA.COLUMNS WHERE table_name = @table ORDER BY ordinal_position',
      params: { table: 'trades' },
      location: 'EU',
    });
    expect(schema).toEqual({
      table: 'trades',
      columns: [
        { name: 'date', type: 'DATE', kind: 'date', nullable: false },
        { name: 'n', type: 'INT64', kind: 'integer', nullable: true },
      ],
    });
  });

  it('pages through results with a byte budget, giving portable values', async () => {
    const client = new RecordingBigQuery();
    client.answers.push([
      [
        {
          date: { value: '2026-03-01' },
          ts: { value: '2026-03-01T12:30:00.250Z' },
          n: { value: '9007199254740993' },
          small: { value: '42' },
          x: null,
        },
      ],
      [{ date: { value: '2026-03-02' }, ts: null, n: { value: '7' }, small: null, x: 'y' }],
    ]);
    const warehouse = new BigqueryWarehouse(client, at);
    const columns = [
      col('date', 'DATE', 'date'),
      col('ts', 'TIMESTAMP', 'timestamp'),
      col('n', 'INT64', 'integer'),
      col('small', 'INT64', 'integer'),
      col('x', 'STRING', 'string'),
    ];
    const pages = [];
    for await (const page of warehouse.stream(warehouse.compile(query({ columns })))) pages.push(page);
    expect(pages).toEqual([
      [{ date: '2026-03-01', ts: '2026-03-01T12:30:00.250Z', n: '9007199254740993', small: 42, x: null }],
      [{ date: '2026-03-02', ts: null, n: 7, small: null, x: 'y' }],
    ]);
    expect(client.jobs[0]).toMatchObject({
      params: { from: '2026-02-27', to: '2026-03-01' },
      types: { from: 'DATE', to: 'DATE' },
      location: 'EU',
      maximumBytesBilled: '5000000000',
      useLegacySql: false,
    });
    expect(client.pageRequests).toEqual([
      { maxResults: 10_000, autoPaginate: false, wrapIntegers: true },
      { pageToken: '1', maxResults: 10_000, autoPaginate: false, wrapIntegers: true },
    ]);
  });

  it('estimates scanned bytes with a dry run, and reports an UNKNOWN estimate as unknown, not 0', async () => {
    const client = new RecordingBigQuery();
    const warehouse = new BigqueryWarehouse(client, at);
    client.dryRunStatistics = { totalBytesProcessed: '123456789', totalBytesProcessedAccuracy: 'PRECISE' };
    expect(await warehouse.estimate(warehouse.compile(query()))).toEqual({ bytes: 123_456_789, note: null });
    expect(client.jobs[0]).toMatchObject({ dryRun: true });
    client.dryRunStatistics = { totalBytesProcessed: '0', totalBytesProcessedAccuracy: 'UNKNOWN' };
    expect((await warehouse.estimate(warehouse.compile(query()))).bytes).toBeNull();
  });
});

describe('BigQuery results', () => {
  it('creates a date-partitioned table once and replaces a partition with one WRITE_TRUNCATE load', async () => {
    const client = new RecordingBigQuery();
    const store = new BigqueryResultStore(client, { ...at, resultsDataset: 'computed' });
    const writer = await store.openReplace('UserPositions', '2026-03-01');
    await writer.append([{ entityId: 'u1', result: { v: 1 } }]);
    await writer.append([{ entityId: 'u2', result: null }]);
    await writer.commit();
    expect(client.createdTables).toEqual([
      {
        dataset: 'computed',
        name: 'results_UserPositions',
        options: expect.objectContaining({
          timePartitioning: { type: 'DAY', field: 'date' },
          clustering: { fields: ['entity_id'] },
        }),
      },
    ]);
    expect(client.loads).toHaveLength(1);
    expect(client.loads[0]!.table).toBe('results_UserPositions$20260301');
    expect(client.loads[0]!.metadata).toMatchObject({
      sourceFormat: 'NEWLINE_DELIMITED_JSON',
      writeDisposition: 'WRITE_TRUNCATE',
      location: 'EU',
    });
    expect(client.loads[0]!.lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { date: '2026-03-01', entity_id: 'u1', result: '{"v":1}' },
      { date: '2026-03-01', entity_id: 'u2', result: 'null' },
    ]);
    const again = await store.openReplace('UserPositions', '2026-03-02');
    await again.commit();
    expect(client.createdTables).toHaveLength(1);
    expect(client.jobs.at(-1)).toMatchObject({
      query: 'DELETE FROM `acme-prod.computed.results_UserPositions` WHERE date = @date',
      params: { date: '2026-03-02' },
    });
  });

  it('reads chosen entities with a typed array parameter', async () => {
    const client = new RecordingBigQuery();
    client.existingTables.add('facts.results_Totals');
    client.answers.push([[{ entity_id: 'u1', result: '{"v":1}' }]]);
    const store = new BigqueryResultStore(client, at);
    expect(await store.read('Totals', '2026-03-01', ['u1', 'u9'])).toEqual([{ entityId: 'u1', result: { v: 1 } }]);
    expect(client.jobs[0]).toMatchObject({
      query:
        'SELECT entity_id, result FROM `acme-prod.facts.results_Totals` WHERE date = @date AND entity_id IN UNNEST(@ids) ORDER BY entity_id',
      params: { date: '2026-03-01', ids: ['u1', 'u9'] },
      types: { date: 'DATE', ids: ['STRING'] },
    });
    expect(await store.read('Missing', '2026-03-01')).toEqual([]);
  });
});
