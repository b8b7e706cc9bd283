import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { sql, storedResults } from '../support/embedded.ts';
import { PACKAGE_ROOT, tempProject, type TempProject } from '../support/temp-project.ts';

const run = promisify(execFile);
const DAY = '2026-01-05';

interface RunJson {
  runId: string;
  status: string;
  computations: Array<{ name: string; date: string; status: string; resultHash: string | null }>;
}

/** The bundled example, as the README runs it, with its values checked by plain SQL over the same data. */
describe('bundled portfolio example', () => {
  let project: TempProject;
  let first: RunJson;

  beforeAll(async () => {
    project = await tempProject({});
    for (const folder of ['computations', 'rules', 'layers'])
      await cp(join(PACKAGE_ROOT, 'examples/portfolio', folder), join(project.root, folder), { recursive: true });
    await cp(join(PACKAGE_ROOT, 'examples/portfolio/compute.config.json'), join(project.root, 'compute.config.json'));
    await run(process.execPath, [
      '--disable-warning=ExperimentalWarning',
      join(PACKAGE_ROOT, 'examples/portfolio/generate.ts'),
      join(project.root, 'warehouse.duckdb'),
    ]);
    const result = await cli(['run', '--date', '2026-01-01', '--to', DAY, '--json', '--project', project.root]);
    expect(result.stderr).toBe('');
    first = json<RunJson>(result);
  }, 120_000);
  afterAll(() => project.remove());

  it('completes every computation for every date', () => {
    expect(first.status).toBe('completed');
    expect(first.computations).toHaveLength(8 * 5);
    expect(first.computations.every((c) => c.status === 'completed' && /^[0-9a-f]{64}$/.test(c.resultHash ?? ''))).toBe(
      true,
    );
  });

  it("sums each user's trades of the day as SQL does", async () => {
    const expected = await sql(project.root, [
      `SELECT user_id, count(*)::INTEGER AS trades, round(sum(quantity * price), 2)::DOUBLE AS notional FROM trades WHERE date = DATE '${DAY}' GROUP BY user_id ORDER BY user_id`,
    ]);
    const stored = await storedResults(project.root, 'UserTradeSummary', DAY);
    expect(stored.map((r) => ({ user_id: r.entityId, ...(r.result as object) }))).toEqual(expected);
  });

  it('carries positions from day to day (historical) as a running SQL sum does', async () => {
    const rows = await sql(project.root, [
      `SELECT user_id, symbol, sum(CASE side WHEN 'buy' THEN quantity ELSE -quantity END)::INTEGER AS held
       FROM trades WHERE date BETWEEN DATE '2026-01-01' AND DATE '${DAY}' GROUP BY user_id, symbol HAVING held <> 0 ORDER BY user_id, symbol`,
    ]);
    const expected = new Map<string, Record<string, number>>();
    for (const row of rows)
      expected.set(String(row.user_id), {
        ...expected.get(String(row.user_id)),
        [String(row.symbol)]: Number(row.held),
      });
    const stored = await storedResults(project.root, 'UserPositions', DAY);
    expect(stored).toHaveLength(expected.size);
    for (const r of stored)
      expect((r.result as { positions: Record<string, number> }).positions).toEqual(expected.get(r.entityId));
  });

  it("values portfolios at the day's closes and totals them in the global summary", async () => {
    const [row] = await sql(project.root, [
      `WITH held AS (SELECT user_id, symbol, sum(CASE side WHEN 'buy' THEN quantity ELSE -quantity END) AS q FROM trades WHERE date <= DATE '${DAY}' GROUP BY ALL HAVING q <> 0),
            valued AS (SELECT user_id, round(sum(q * close), 2) AS value FROM held JOIN prices USING (symbol) WHERE prices.date = DATE '${DAY}' GROUP BY user_id)
       SELECT count(*)::INTEGER AS investors, round(sum(value), 2)::DOUBLE AS aum FROM valued`,
    ]);
    const market = (await storedResults(project.root, 'MarketSummary', DAY))[0]!.result as {
      investors: number;
      aum: number;
    };
    expect(market.investors).toBe(row!.investors);
    expect(market.aum).toBeCloseTo(Number(row!.aum), 2);
    const report = (await storedResults(project.root, 'RiskReport', DAY))[0]!.result as {
      bands: Record<string, { users: number }>;
    };
    expect(Object.values(report.bands).reduce((s, b) => s + b.users, 0)).toBe(row!.investors);
  });

  it('skips everything when run again', async () => {
    const again = json<RunJson>(
      await cli(['run', '--date', '2026-01-01', '--to', DAY, '--json', '--project', project.root]),
    );
    expect(again.computations.every((c) => c.status === 'skipped')).toBe(true);
    expect(again.computations.map((c) => c.resultHash)).toEqual(first.computations.map((c) => c.resultHash));
  });

  it('explains a run in analyze, shows stored results and dry-runs one entity', async () => {
    const analysis = json<{
      computations: Array<{ name: string; decision: string; bytes: number | null }>;
      totalBytes: number | null;
    }>(await cli(['analyze', '--date', '2026-01-06', '--json', '--project', project.root]));
    expect(analysis.computations.find((c) => c.name === 'UserPositions')).toMatchObject({
      decision: 'run',
      bytes: null,
    });
    expect(analysis.totalBytes).toBeNull();
    const shown = json<{ results: Array<{ entityId: string; result: unknown }> }>(
      await cli([
        'show',
        '--computation',
        'UserPositions',
        '--date',
        DAY,
        '--entity-id',
        'user_0000',
        '--json',
        '--project',
        project.root,
      ]),
    );
    const dry = json<{ results: Array<{ entityId: string; result: unknown }> }>(
      await cli([
        'execute',
        '--computation',
        'UserPositions',
        '--date',
        DAY,
        '--dry-run',
        '--entityId',
        'user_0000',
        '--json',
        '--project',
        project.root,
      ]),
    );
    expect(dry.results).toEqual(shown.results);
    expect(dry.results).toHaveLength(1);
  });
});
