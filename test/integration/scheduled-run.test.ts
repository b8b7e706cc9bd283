import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { computationSource, tempProject, type TempProject } from '../support/temp-project.ts';

const MONDAY = '2026-01-26';
const TUESDAY = '2026-01-27';

/** Four computations at two times: daily and weekly at 02:00 (the weekly one reads the daily one), monthly at 02:00, and a daily one at 06:00. */
async function scheduledProject(): Promise<TempProject> {
  return tempProject({
    'computations/daily.js': computationSource({ name: 'Daily', type: 'global' }),
    'computations/weekly.js': computationSource({
      name: 'Weekly',
      type: 'global',
      dependencies: ['Daily'],
      schedule: { frequency: 'weekly', time: '02:00' },
    }),
    'computations/monthly.js': computationSource({
      name: 'Monthly',
      type: 'global',
      schedule: { frequency: 'monthly', day: 27, time: '02:00' },
    }),
    'computations/morning.js': computationSource({ name: 'Morning', type: 'global', schedule: { time: '06:00' } }),
  });
}

type RunJson = { computations: Array<{ name: string; date: string; status: string }> };
const ran = (result: RunJson) => result.computations.map((c) => `${c.date}/${c.name}=${c.status}`);

describe('scheduled runs in the embedded mode', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await scheduledProject();
  });
  afterAll(() => project.remove());

  it('lists one Scheduler job per time, as cron in UTC, with the message it publishes', async () => {
    const out = json<{
      jobs: Array<{ name: string; cron: string; data: unknown; computations: Array<{ name: string }> }>;
    }>(await cli(['schedules', '--json', '--project', project.root]));
    expect(out.jobs.map((j) => [j.name, j.cron, j.data, j.computations.map((c) => c.name)])).toEqual([
      ['compute-run-0200', '0 2 * * *', { date: 'yesterday', schedule: '02:00' }, ['Daily', 'Monthly', 'Weekly']],
      ['compute-run-0600', '0 6 * * *', { date: 'yesterday', schedule: '06:00' }, ['Morning']],
    ]);
    const tfvars = json<{ scheduled_runs: Record<string, { cron: string; data: string }> }>(
      await cli(['schedules', '--format', 'tfvars', '--project', project.root]),
    );
    expect(Object.keys(tfvars.scheduled_runs)).toEqual(['0200', '0600']);
    expect(JSON.parse(tfvars.scheduled_runs['0600']!.data)).toEqual({ date: 'yesterday', schedule: '06:00' });
  });

  it('prints the jobs as text by default, and names the formats when given another', async () => {
    const text = await cli(['schedules', '--project', project.root]);
    expect(text.stdout).toContain(
      `compute-run-0600  cron '0 6 * * *' (UTC)  publishes {"date":"yesterday","schedule":"06:00"} to compute-runs\n`,
    );
    expect(text.stdout).toMatch(/^ {4}Weekly +weekly on mondays at 02:00 UTC$/m);
    const bad = await cli(['schedules', '--format', 'yaml', '--project', project.root]);
    expect([bad.code, bad.stderr]).toEqual([2, "--format must be one of text, json, tfvars; got 'yaml'\n"]);
  });

  it("the 02:00 run on a Monday's date holds the daily and the weekly computation, not the 06:00 one", async () => {
    const result = await cli(['run', '--date', MONDAY, '--schedule', '02:00', '--json', '--project', project.root]);
    expect(result.code).toBe(0);
    expect(ran(json<RunJson>(result))).toEqual([`${MONDAY}/Daily=completed`, `${MONDAY}/Weekly=completed`]);
  });

  it("the 02:00 run on a Tuesday's date leaves the weekly one out; the monthly one is due on the 27th", async () => {
    const result = await cli(['run', '--date', TUESDAY, '--schedule', '02:00', '--json', '--project', project.root]);
    expect(ran(json<RunJson>(result))).toEqual([`${TUESDAY}/Daily=completed`, `${TUESDAY}/Monthly=completed`]);
  });

  it('the 06:00 run holds only Morning', async () => {
    const result = await cli(['run', '--date', TUESDAY, '--schedule', '06:00', '--json', '--project', project.root]);
    expect(ran(json<RunJson>(result))).toEqual([`${TUESDAY}/Morning=completed`]);
  });

  it('analyze says which computations are not due on a date', async () => {
    const out = json<{ computations: Array<{ name: string; due: boolean; reasons: string[] }> }>(
      await cli(['analyze', '--date', '2026-01-28', '--json', '--project', project.root]),
    );
    expect(out.computations.map((c) => [c.name, c.due])).toEqual([
      ['Daily', true],
      ['Monthly', false],
      ['Morning', true],
      ['Weekly', false],
    ]);
    expect(out.computations.find((c) => c.name === 'Weekly')!.reasons.join(' ')).toContain(
      'not due on 2026-01-28 (a wednesday): scheduled weekly on mondays at 02:00 UTC; a scheduled run leaves it out',
    );
    const text = await cli(['analyze', '--date', '2026-01-28', '--project', project.root]);
    expect(text.stdout).toMatch(/Weekly .*\[not due\]/);
  });

  it('accepts relative dates on the command line and refuses bad ones, naming the flag', async () => {
    const bad = await cli(['run', '--date', 'yesteday', '--project', project.root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "--date must be a date as YYYY-MM-DD, or 'today', 'yesterday' or 'today-N' (UTC), from 0001-01-01 to 9999-12-31; got 'yesteday'",
    );
    const range = await cli([
      'run',
      '--date',
      'today-2',
      '--to',
      'yesterday',
      '--schedule',
      '02:00',
      '--project',
      project.root,
    ]);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/^a scheduled run covers one date: drop --to or --schedule \(got \S+ to \S+\)\n$/);
    const before = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const analyzed = json<{ date: string }>(
      await cli(['analyze', '--date', 'yesterday', '--json', '--project', project.root]),
    );
    const after = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect([before, after]).toContain(analyzed.date);
  });
});

describe('validate refuses schedules that cannot work together', () => {
  it('names the computation, its dependency and both schedules', async () => {
    const project = await tempProject({
      'computations/rollup.js': computationSource({
        name: 'Rollup',
        type: 'global',
        schedule: { frequency: 'weekly' },
      }),
      'computations/report.js': computationSource({ name: 'Report', type: 'global', dependencies: ['Rollup'] }),
      'computations/late.js': computationSource({ name: 'Late', type: 'global', schedule: { time: '04:00' } }),
      'computations/early.js': computationSource({
        name: 'Early',
        type: 'global',
        dependencies: ['Late'],
        schedule: { time: '03:00' },
      }),
    });
    try {
      const result = await cli(['validate', '--json', '--project', project.root]);
      expect(result.code).toBe(1);
      const out = json<{ ok: boolean; errors: Array<{ code: string; computation: string; message: string }> }>(result);
      expect(out.errors.map((e) => [e.code, e.computation])).toEqual([
        ['SCHEDULE_BEFORE_DEPENDENCY', 'Early'],
        ['SCHEDULE_MORE_OFTEN_THAN_DEPENDENCY', 'Report'],
      ]);
      expect(out.errors[1]!.message).toContain(
        "computations/report.js: computation 'Report' is scheduled daily at 02:00 UTC, more often than (or on other days than) its dependency 'Rollup', scheduled weekly on mondays at 02:00 UTC",
      );
    } finally {
      await project.remove();
    }
  });
});
