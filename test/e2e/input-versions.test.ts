import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, storedResults } from '../support/embedded.ts';
import { computationFile } from '../support/scenario.ts';
import { tempProject, type TempProject } from '../support/temp-project.ts';

const DATES = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];
const [D1, D2, , D4] = DATES as [string, string, string, string];

const sum = 'ctx.data.events.reduce((s, r) => s + r.value, 0)';
const COMPUTATIONS = {
  Daily: [{ type: 'per-entity', requires: { events: {} } }, `return { total: ${sum} };`],
  Window3: [{ type: 'per-entity', requires: { events: { lookback: 2 } } }, `return { total: ${sum} };`],
  Running: [
    { type: 'per-entity', isHistorical: true, requires: { events: {} } },
    `return { total: (ctx.previousResult?.total ?? 0) + ${sum} };`,
  ],
  Labeled: [
    { type: 'per-entity', dependencies: ['Daily'], requires: { dims: { dateField: null } } },
    "return { label: ctx.data.dims[0]?.label ?? null, total: ctx.getDependency('Daily')?.total ?? 0 };",
  ],
  Total: [
    { type: 'global', dependencies: ['Daily'] },
    "return Object.values(ctx.getDependency('Daily')).reduce((s, d) => s + d.total, 0);",
  ],
  Logged: [{ type: 'global', requires: { logs: { version: false } } }, 'return { lines: ctx.data.logs.length };'],
} as const;
const NAMES = Object.keys(COMPUTATIONS);

/** `date/name` of each computation that completed (ran) in a run; the rest were skipped. */
async function reran(root: string, dates = DATES): Promise<string[]> {
  const outcome = await runProject(root, { dates });
  const ran: string[] = [];
  for (const [key, state] of outcome.states) {
    if (state.status === 'completed') ran.push(key);
    else expect(state.status, key).toBe('skipped');
  }
  return ran.sort();
}

const at = (date: string, ...names: string[]) => names.map((name) => `${date}/${name}`);

/**
 * Input versions on DuckDB: a late or corrected row re-runs exactly the
 * computations and dates whose windows contain it, then what depends on a
 * changed result (a historical computation follows its chain of previous
 * results), and nothing else. Each test changes the warehouse and runs
 * the four dates again in one command.
 */
describe('input versions (DuckDB)', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await tempProject({
      'compute.config.json': JSON.stringify({ batchSize: 4 }),
      ...Object.fromEntries(
        Object.entries(COMPUTATIONS).map(([name, [config, body]]) => [
          `computations/${name}.js`,
          computationFile(name, config, body),
        ]),
      ),
    });
    const rows: string[] = [];
    // Entities e1..e6, one row a day each, value = day * 10 + entity.
    DATES.forEach((date, d) => {
      for (let e = 1; e <= 6; e++) rows.push(`(DATE '${date}', 'e${e}', ${(d + 1) * 10 + e})`);
    });
    await sql(project.root, [
      'CREATE TABLE events (date DATE, entity_id VARCHAR, value INTEGER)',
      `INSERT INTO events VALUES ${rows.join(', ')}`,
      'CREATE TABLE dims (entity_id VARCHAR, label VARCHAR)',
      "INSERT INTO dims SELECT 'e' || i, 'label ' || i FROM range(1, 7) t(i)",
      'CREATE TABLE logs (date DATE, entity_id VARCHAR, msg VARCHAR)',
      `INSERT INTO logs SELECT DATE '${D1}' + i::INTEGER % 4, 'e1', 'm' || i FROM range(8) t(i)`,
    ]);
    const first = await runProject(project.root, { dates: DATES });
    expect([...first.states.values()].every((s) => s.status === 'completed')).toBe(true);
  }, 60_000);
  afterAll(() => project.remove());

  it('re-runs nothing when nothing changed', async () => {
    expect(await reran(project.root)).toEqual([]);
  });

  it('an updated row re-runs each computation whose window holds it, their dependents, and the historical chain', async () => {
    await sql(project.root, [`UPDATE events SET value = value + 100 WHERE entity_id = 'e2' AND date = DATE '${D2}'`]);
    const analysis = json<{
      computations: Array<{ name: string; date: string; reasons: string[]; changed: string[] }>;
    }>(await cli(['analyze', '--date', D2, '--json', '--project', project.root]));
    const daily = analysis.computations.find((c) => c.name === 'Daily')!;
    expect(daily.changed).toEqual(['input:events']);
    expect(daily.reasons).toEqual([`input:events changed (window ${D2}..${D2})`]);
    expect(analysis.computations.find((c) => c.name === 'Window3')!.reasons).toEqual([
      `input:events changed (window 2026-02-28..${D2})`,
    ]);

    expect(await reran(project.root)).toEqual(
      [
        ...at(D2, 'Daily', 'Labeled', 'Total', 'Running', 'Window3'),
        ...at('2026-03-03', 'Window3', 'Running'),
        ...at(D4, 'Window3', 'Running'),
      ].sort(),
    );
    // The chain carries the correction: e2's running total on D4 includes it.
    const running = await storedResults(project.root, 'Running', D4);
    expect(running.find((r) => r.entityId === 'e2')!.result).toEqual({ total: 12 + 22 + 100 + 32 + 42 });
    expect(await reran(project.root)).toEqual([]);
  });

  it('an inserted row re-runs the windows that hold its date (a new entity included)', async () => {
    await sql(project.root, [`INSERT INTO events VALUES (DATE '${D4}', 'e7', 5)`]);
    expect(await reran(project.root)).toEqual(at(D4, 'Daily', 'Labeled', 'Running', 'Total', 'Window3').sort());
    expect((await storedResults(project.root, 'Daily', D4)).map((r) => r.entityId)).toContain('e7');
  });

  it('a deleted row re-runs the windows that held it', async () => {
    await sql(project.root, [`DELETE FROM events WHERE entity_id = 'e5' AND date = DATE '${D1}'`]);
    expect(await reran(project.root)).toEqual(
      [
        ...at(D1, 'Daily', 'Labeled', 'Running', 'Total', 'Window3'),
        ...at(D2, 'Running', 'Window3'),
        ...at('2026-03-03', 'Running', 'Window3'),
        ...at(D4, 'Running'),
      ].sort(),
    );
  });

  it('a change outside every window re-runs nothing', async () => {
    await sql(project.root, [
      "INSERT INTO events VALUES (DATE '2026-02-01', 'e1', 1), (DATE '2026-03-20', 'e1', 1)",
      "UPDATE events SET value = 0 WHERE date = DATE '2026-02-27'",
    ]);
    expect(await reran(project.root)).toEqual([]);
  });

  it('a changed row of a table read whole (dateField: null) re-runs its readers on every date', async () => {
    await sql(project.root, ["UPDATE dims SET label = 'renamed' WHERE entity_id = 'e3'"]);
    expect(await reran(project.root)).toEqual(DATES.flatMap((date) => at(date, 'Labeled')).sort());
  });

  it('a table with version: false re-runs nothing when it changes', async () => {
    await sql(project.root, [`INSERT INTO logs VALUES (DATE '${D2}', 'e1', 'late line')`]);
    expect(await reran(project.root)).toEqual([]);
    // Forced, it sees the new line: the opt-out is about re-running, not reading.
    await runProject(project.root, { dates: [D2], computations: ['Logged'], force: true });
    expect((await storedResults(project.root, 'Logged', D2))[0]!.result).toEqual({ lines: 3 });
  });

  it('names each computation and date in the JSON of analyze over a range', async () => {
    await sql(project.root, [`UPDATE events SET value = value + 1 WHERE entity_id = 'e6' AND date = DATE '${D4}'`]);
    const analysis = json<{ computations: Array<{ name: string; date: string; decision: string }> }>(
      await cli(['analyze', '--date', D1, '--to', D4, '--json', '--project', project.root]),
    );
    const runs = analysis.computations.filter((c) => c.decision === 'run').map((c) => `${c.date}/${c.name}`);
    expect(runs.sort()).toEqual(at(D4, 'Daily', 'Labeled', 'Running', 'Total', 'Window3').sort());
    expect(NAMES).toHaveLength(6);
    // In words: DuckDB cannot price a scan, so its lines carry no 'scans unknown'; the version queries are counted.
    const text = (await cli(['analyze', '--date', D4, '--project', project.root])).stdout;
    expect(text).toContain(`input:events changed (window ${D4}..${D4})`);
    expect(text).not.toContain('scans');
    expect(text).toMatch(/^5 run, 1 skip, 0 blocked, 0 impossible$/m);
    // events for D4 alone (Daily and Running share it), events D2..D4 (Window3), dims whole; logs opts out.
    expect(text).toContain('Input versions: 3 queries; each free (a scan of the window in the local DuckDB file).');
  });
});

describe('input versions: upgrading from states stored without them', () => {
  let project: TempProject;
  afterAll(() => project.remove());

  it('records versions on the first run without re-running what is up to date, then sees changes', async () => {
    project = await tempProject({
      'computations/daily.js': computationFile('Daily', COMPUTATIONS.Daily[0], COMPUTATIONS.Daily[1]),
    });
    await sql(project.root, [
      'CREATE TABLE events (date DATE, entity_id VARCHAR, value INTEGER)',
      `INSERT INTO events VALUES (DATE '${D1}', 'e1', 1), (DATE '${D1}', 'e2', 2)`,
    ]);
    // A run with versions off stores states as an earlier version did: no input components.
    const off = { COMPUTE_INPUT_VERSIONS: 'false' };
    const before = await runProject(project.root, { dates: [D1], env: off });
    expect(before.states.get(`${D1}/Daily`)!.components!.inputs).toBeUndefined();
    // Nothing versioned: analyze sends no version query and does not talk about them.
    const analysis = await cli(['analyze', '--date', D1, '--project', project.root], { env: off });
    expect(analysis.stdout).toContain('Daily');
    expect(analysis.stdout).not.toContain('Input versions');

    const upgraded = await runProject(project.root, { dates: [D1] });
    const state = upgraded.states.get(`${D1}/Daily`)!;
    expect(state.status).toBe('skipped');
    expect(state.reason).toBe('up to date; the versions of its inputs are recorded for the first time');
    expect(Object.keys(state.components!.inputs!)).toEqual(['events']);

    expect((await runProject(project.root, { dates: [D1] })).states.get(`${D1}/Daily`)!.status).toBe('skipped');
    await sql(project.root, [`UPDATE events SET value = 5 WHERE entity_id = 'e1'`]);
    expect((await runProject(project.root, { dates: [D1] })).states.get(`${D1}/Daily`)!.status).toBe('completed');
  });
});
