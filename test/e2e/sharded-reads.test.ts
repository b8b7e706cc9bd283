import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchReady } from '../../shared/events/contracts.ts';
import { runProject, sql, storedResults, type RunOutcome } from '../support/embedded.ts';
import { FakeBigQuery } from '../support/fake-bigquery/server.ts';
import { FakeStorageRead, standInWarehouse } from '../support/fake-bigquery/storage-read.ts';
import { literal as duckLiteral } from '../support/fake-bigquery/wire.ts';
import { parseType } from '../support/fake-bigquery/schema.ts';
import { computationFile } from '../support/scenario.ts';
import { tempProject, type TempProject } from '../support/temp-project.ts';

/**
 * Sharded reads end to end in one process (the services' handlers over the
 * in-process bus, embedded state): the same project runs on BigQuery with
 * sharded reads (REST fake + Storage Read stand-in), on BigQuery through
 * the executor (REST), and on DuckDB, and every stored result and result
 * hash is the same. Entity ids include mixed case, accents and ids beyond
 * the Basic Multilingual Plane.
 */
const DATE = '2026-03-02';
const PROJECT = 'shard-project';
const COLUMNS = {
  date: 'DATE',
  user_id: 'STRING',
  qty: 'INT64',
  price: 'NUMERIC',
  ts: 'TIMESTAMP',
  tags: 'ARRAY<STRING>',
  meta: 'STRUCT<src STRING, w FLOAT64>',
};
const ODD = ['User-A', 'user-a', 'USER-A', 'É', 'é', 'e', '～', '𝔸', '😀', 'z'];
const IDS = [...ODD, ...Array.from({ length: 290 }, (_, i) => `u${String(i).padStart(4, '0')}`)];
const ROWS = IDS.flatMap((id, i) =>
  ['2026-03-01', '2026-03-02', '2026-03-03'].slice(0, 1 + (i % 3)).map((date, k) => ({
    date,
    user_id: id,
    qty: k === 0 && i % 7 === 0 ? '9007199254740993' : String(i * 10 + k),
    price: `${i}.${String(k).padStart(8, '0')}1`,
    ts: `${date} 0${k}:00:00.${String(i).padStart(6, '0')}`,
    tags: i % 4 === 0 ? [] : [`t${k}`, id],
    meta: i % 5 === 0 ? null : { src: `s${i}`, w: i / 8 },
  })),
);
// A row without an entity belongs to no entity, on every path.
ROWS.push({ date: DATE, user_id: null as never, qty: '1', price: '1', ts: `${DATE} 00:00:00`, tags: [], meta: null });

const body = `const rows = ctx.data.trades.map((r) => JSON.stringify(r)).sort();
    return { n: rows.length, rows, settings: ctx.getDependency('Settings') };`;
const FILES = {
  'computations/Settings.js': computationFile('Settings', { type: 'global' }, 'return { factor: 3 };'),
  'computations/Positions.js': computationFile(
    'Positions',
    { type: 'per-entity', dependencies: ['Settings'], requires: { trades: { lookback: 1, mandatory: true } } },
    body,
  ),
  // A per-entity dependency: this one takes the executor's path even with sharded reads on.
  'computations/Scaled.js': computationFile(
    'Scaled',
    { type: 'per-entity', dependencies: ['Positions'], requires: { trades: {} } },
    "return { n: ctx.data.trades.length, of: ctx.getDependency('Positions')?.n ?? null };",
  ),
};

/** Contexts up to 32 KiB travel in their message, as on Pub/Sub (the embedded default sends names only). */
const INLINE = { inlineContextBytes: 32 * 1024 };

let fake: FakeBigQuery;
let stand: FakeStorageRead;
const projects: TempProject[] = [];

function bigqueryConfig(results: string, sharded: boolean) {
  return JSON.stringify({
    entityField: 'user_id',
    batchSize: 40,
    warehouse: standInWarehouse(fake, results, sharded ? stand : undefined),
  });
}

async function project(config: string): Promise<TempProject> {
  const made = await tempProject({ ...FILES, 'compute.config.json': config });
  projects.push(made);
  return made;
}

beforeAll(async () => {
  fake = await FakeBigQuery.start(PROJECT);
  stand = await FakeStorageRead.start(fake);
  for (const dataset of ['facts', 'sharded_results', 'rest_results', 'scratch']) await fake.dataset(dataset, 'US');
  await fake.table('facts', 'trades', { columns: COLUMNS, rows: ROWS });
}, 60_000);

afterAll(async () => {
  await Promise.all(projects.map((p) => p.remove()));
  await stand?.close();
  await fake?.close();
});

const hashes = (outcome: RunOutcome) =>
  Object.fromEntries([...outcome.states].map(([key, state]) => [key, [state.status, state.resultHash]]));

describe('sharded reads (BigQuery Storage Read API) end to end', () => {
  let sharded: RunOutcome;
  let rest: RunOutcome;
  let duck: RunOutcome;
  let shardedRoot: string;
  let duckRoot: string;

  beforeAll(async () => {
    shardedRoot = (await project(bigqueryConfig('sharded_results', true))).root;
    sharded = await runProject(shardedRoot, { dates: [DATE], settings: INLINE });
    rest = await runProject((await project(bigqueryConfig('rest_results', false))).root, {
      dates: [DATE],
      settings: INLINE,
    });
    duckRoot = (
      await project(
        JSON.stringify({
          entityField: 'user_id',
          batchSize: 40,
          warehouse: { type: 'duckdb', path: 'warehouse.duckdb' },
        }),
      )
    ).root;
    const fields = Object.entries(COLUMNS).map(([name, type]) => parseType(name, type));
    const type = (f: ReturnType<typeof parseType>) => (f.type === 'TIMESTAMP' ? 'TIMESTAMPTZ' : undefined);
    await sql(duckRoot, [
      "SET TimeZone = 'UTC'",
      `CREATE TABLE trades (${fields.map((f) => `"${f.name}" ${type(f) ?? duckLiteral(null, f).replace(/^CAST\(NULL AS (.*)\)$/, '$1')}`).join(', ')})`,
      `INSERT INTO trades VALUES ${ROWS.map((r) => `(${fields.map((f) => duckLiteral((r as Record<string, unknown>)[f.name], f)).join(', ')})`).join(', ')}`,
    ]);
    duck = await runProject(duckRoot, { dates: [DATE] });
  }, 240_000);

  it('completes every computation, with the same result hashes as the REST path and DuckDB', () => {
    expect(sharded.states.get(`${DATE}/Positions`)?.error ?? null).toBeNull();
    expect(hashes(sharded)[`${DATE}/Positions`]![0]).toBe('completed');
    expect(hashes(sharded)).toEqual(hashes(rest));
    expect(hashes(sharded)).toEqual(hashes(duck));
  });

  it('stores every entity once, rows converted alike, ids in byte order', async () => {
    const stored = await storedResults(duckRoot, 'Positions', DATE);
    expect(stored.map((r) => r.entityId).sort()).toEqual([...IDS].sort());
    const [u7] = stored.filter((r) => r.entityId === 'u0007') as Array<{ result: { rows: string[]; n: number } }>;
    expect(u7!.result.n).toBe(2);
    expect(JSON.parse(u7!.result.rows[0]!)).toEqual({
      date: '2026-03-01',
      user_id: 'u0007',
      qty: 170,
      price: '17.000000001',
      ts: '2026-03-01T00:00:00.000017Z',
      tags: ['t0', 'u0007'],
      meta: { src: 's17', w: 2.125 },
    });
    const counts = sharded.summary.computations.find((c) => c.name === 'Positions')!;
    expect(counts.status).toBe('completed');
  });

  it('sends batches that name a shard instead of rows, a few hundred bytes each', () => {
    const ready = sharded.events.filter(
      (e): e is BatchReady => e.type === 'batch.ready' && e.computation === 'Positions',
    );
    expect(ready.length).toBeGreaterThanOrEqual(Math.ceil(IDS.length / 40) - 1);
    for (const event of ready) {
      expect(event.context?.entities).toEqual([]);
      expect(JSON.stringify(event).length).toBeLessThan(1200);
    }
    // The executor's path, for comparison, carries every row.
    const carried = rest.events.filter(
      (e): e is BatchReady => e.type === 'batch.ready' && e.computation === 'Positions',
    );
    expect(carried.every((e) => e.context === undefined || e.context.entities.length > 0)).toBe(true);
  });

  it('reads each table window with one query job, and drops the scratch tables when the computation finalizes', () => {
    const writes = fake.queryJobs.filter((job) =>
      /_compute_key/.test(String((job.configuration.query as { query: string }).query)),
    );
    const materialized = writes.filter(
      (job) => (job.configuration.query as { destinationTable?: unknown }).destinationTable !== undefined,
    );
    expect(materialized).toHaveLength(1);
    expect([...fake.catalog.tables.keys()].filter((t) => t.startsWith('scratch.'))).toEqual([]);
  });

  it('takes the executor path for a computation with a per-entity dependency', () => {
    const scaled = sharded.events.filter(
      (e): e is BatchReady => e.type === 'batch.ready' && e.computation === 'Scaled',
    );
    expect(scaled.length).toBeGreaterThan(0);
    expect(scaled.every((e) => e.context === undefined || e.context.shard === undefined)).toBe(true);
  });
});
