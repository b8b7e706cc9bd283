import { execFile } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProject, sql, type RunOutcome } from '../support/embedded.ts';
import { FakeBigQuery } from '../support/fake-bigquery/server.ts';
import { FakeStorageRead, standInWarehouse } from '../support/fake-bigquery/storage-read.ts';
import { PACKAGE_ROOT, tempProject, type TempProject } from '../support/temp-project.ts';

const run = promisify(execFile);

/**
 * The bundled portfolio example (the shop-style run: global and per-entity
 * computations, history, dependencies, rules and layers) over the same
 * generated data three ways: DuckDB, BigQuery through the executor (REST
 * fake), and BigQuery with sharded reads (Storage Read stand-in). Every
 * computation-date must end with the same status and result hash.
 */
const DATES = ['2026-01-01', '2026-01-02', '2026-01-03'];
const TABLES: Record<string, Record<string, string>> = {
  users: { user_id: 'STRING', country: 'STRING', risk_profile: 'STRING', signup_date: 'DATE' },
  prices: { date: 'DATE', symbol: 'STRING', close: 'FLOAT64' },
  trades: {
    date: 'DATE',
    user_id: 'STRING',
    symbol: 'STRING',
    side: 'STRING',
    quantity: 'INT64',
    price: 'FLOAT64',
    traded_at: 'TIMESTAMP',
  },
};

let fake: FakeBigQuery;
let stand: FakeStorageRead;
const projects: TempProject[] = [];

async function portfolio(warehouse: Record<string, unknown> | null): Promise<TempProject> {
  const project = await tempProject({});
  projects.push(project);
  for (const folder of ['computations', 'rules', 'layers'])
    await cp(join(PACKAGE_ROOT, 'examples/portfolio', folder), join(project.root, folder), { recursive: true });
  const config = (
    await import(join(PACKAGE_ROOT, 'examples/portfolio/compute.config.json'), { with: { type: 'json' } })
  ).default as Record<string, unknown>;
  await writeFile(
    join(project.root, 'compute.config.json'),
    JSON.stringify(warehouse === null ? config : { ...config, warehouse }),
  );
  return project;
}

const outcome = (run: RunOutcome) =>
  Object.fromEntries([...run.states].map(([key, state]) => [key, `${state.status} ${state.resultHash}`]));

describe('the portfolio example on DuckDB, BigQuery and BigQuery with sharded reads', () => {
  const runs: Record<string, RunOutcome> = {};

  beforeAll(async () => {
    fake = await FakeBigQuery.start('portfolio-project');
    stand = await FakeStorageRead.start(fake);
    for (const dataset of ['facts', 'sharded_results', 'rest_results', 'scratch']) await fake.dataset(dataset, 'US');
    const duck = await portfolio(null);
    await run(process.execPath, [
      '--disable-warning=ExperimentalWarning',
      join(PACKAGE_ROOT, 'examples/portfolio/generate.ts'),
      join(duck.root, 'warehouse.duckdb'),
    ]);
    for (const [table, columns] of Object.entries(TABLES)) {
      const select = Object.keys(columns)
        .map((c) => (columns[c] === 'TIMESTAMP' ? `strftime("${c}", '%Y-%m-%d %H:%M:%S') AS "${c}"` : `"${c}"`))
        .join(', ');
      const rows = await sql(duck.root, [`SELECT ${select} FROM ${table}`]);
      await fake.table('facts', table, { columns, rows });
    }
    runs.duckdb = await runProject(duck.root, { dates: DATES });
    runs.rest = await runProject((await portfolio(standInWarehouse(fake, 'rest_results'))).root, { dates: DATES });
    runs.sharded = await runProject((await portfolio(standInWarehouse(fake, 'sharded_results', stand))).root, {
      dates: DATES,
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(projects.map((p) => p.remove()));
    await stand?.close();
    await fake?.close();
  });

  it('completes every computation on every date with the same result hashes on all three', () => {
    expect(Object.keys(outcome(runs.sharded!))).toHaveLength(8 * DATES.length);
    expect(Object.values(outcome(runs.sharded!)).every((o) => /^completed [0-9a-f]{64}$/.test(o))).toBe(true);
    expect(outcome(runs.sharded!)).toEqual(outcome(runs.rest!));
    expect(outcome(runs.sharded!)).toEqual(outcome(runs.duckdb!));
  });

  it('reads UserTradeSummary (per-entity, tables only) through shards; the rest through the executor', () => {
    const logged = (name: string) =>
      runs.sharded!.logs.some(
        (l) => String(l.message).startsWith(`${name} on `) && /sharded reads/.test(String(l.message)),
      );
    expect(logged('UserTradeSummary')).toBe(true);
    for (const name of ['UserPositions', 'UserActivityStreak', 'UserPortfolioValue', 'UserRiskScore'])
      expect(logged(name), name).toBe(false);
  });
});
