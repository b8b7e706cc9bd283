import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.ts';
import { cli, json } from '../support/cli.ts';
import { sql } from '../support/embedded.ts';
import { BODIES, scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const [D1, D2, D3] = ['2026-01-25', '2026-01-26', '2026-01-27'] as const;

interface RunsJson {
  runs: Array<{
    runId: string;
    status: string;
    trigger: string;
    dates: string[];
    startedAt: string;
    finishedAt: string | null;
    counts: Record<string, number>;
  }>;
}
interface GridJson {
  from: string;
  to: string;
  dates: string[];
  computations: Array<{ name: string; date: string; status: string }>;
}

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

describe('run history: compute runs and compute status --from/--to', () => {
  it('records each run with its trigger and counts, and why a computation-date ran after a late row', async () => {
    // Totals fails for one entity on D2 only: partial there, completed elsewhere.
    project = await scenarioProject({
      entities: 6,
      dates: [D1, D2, D3],
      bodies: {
        totals: `if (ctx.entityId === 'e003' && ctx.date === '${D2}') throw new Error('bad row'); ${BODIES.totals}`,
      },
    });
    const root = project.root;
    const first = await cli(['run', '--date', D1, '--to', D3, '--project', root]);
    expect(first.code).toBe(1); // a partial computation-date fails the run (DESIGN 5b)

    const grid = json<GridJson>(await cli(['status', '--from', D1, '--to', D3, '--json', '--project', root]));
    expect(grid.dates).toEqual([D1, D2, D3]);
    const cell = (name: string, date: string) => grid.computations.find((c) => c.name === name && c.date === date)!;
    expect(cell('Totals', D1).status).toBe('completed');
    expect(cell('Totals', D2).status).toBe('partial');
    expect(grid.computations).toHaveLength(4 * 3);

    const { runs } = json<RunsJson>(await cli(['runs', '--json', '--project', root]));
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({ trigger: 'cli', status: 'failed', dates: [D1, D2, D3] });
    expect(run.finishedAt).not.toBeNull();
    // The run's counts are the grid's statuses tallied: every computation-date it covered, once.
    const tally: Record<string, number> = {
      completed: 0,
      skipped: 0,
      partial: 0,
      failed: 0,
      blocked: 0,
      impossible: 0,
    };
    for (const c of grid.computations) tally[c.status]!++;
    expect(run.counts).toEqual(tally);
    expect(run.counts.partial).toBe(1);

    // The partial date's history keeps the failed entity and its error.
    const store = new SqliteStateStore(join(root, '.compute/state.sqlite'));
    try {
      const [partial] = await store.history.of('Totals', D2, 5);
      expect(partial).toMatchObject({ runId: run.runId, status: 'partial', decision: 'run', changed: ['new'] });
      expect(partial!.counts).toMatchObject({ planned: 6, failed: 1 });
      expect(partial!.failures).toEqual([{ entityId: 'e003', error: expect.stringContaining('bad row') }]);
    } finally {
      await store.close();
    }

    // A late row on D1: the next run of D1 says the input changed; the first run's entry is kept.
    await sql(root, [`INSERT INTO events VALUES ('${D1}', 'e001', 100)`]);
    expect((await cli(['run', '--date', D1, '--project', root])).code).toBe(0);
    const again = json<RunsJson>(await cli(['runs', '--json', '--project', root])).runs;
    expect(again.map((r) => r.runId)).toEqual([again[0]!.runId, run.runId]);
    expect(again[0]!.counts).toMatchObject({ completed: 4, partial: 0 }); // Totals and Streak read events; Doubled and Summary follow
    const reopened = new SqliteStateStore(join(root, '.compute/state.sqlite'));
    try {
      const entries = await reopened.history.of('Totals', D1, 5);
      expect(entries.map((e) => [e.runId, e.status, e.changed])).toEqual([
        [again[0]!.runId, 'completed', ['input:events']],
        [run.runId, 'completed', ['new']],
      ]);
      expect((await reopened.history.of('Doubled', D1, 1))[0]!.changed).toEqual(['dependency:Totals']);
      expect((await reopened.history.of('Doubled', D1, 1))[0]!.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await reopened.close();
    }
  });

  it('prints a range as a grid that pages dates to fit 80 columns, and refuses a bad range', async () => {
    project = await scenarioProject({ entities: 2, dates: [D1] });
    const root = project.root;
    expect((await cli(['run', '--date', D1, '--project', root])).code).toBe(0);
    const text = await cli(['status', '--from', '2026-01-01', '--to', '2026-02-09', '--project', root]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    // Names take 10 columns, each date 3: 23 dates a page.
    expect(text.stdout).toContain('2026-01-01 to 2026-01-23 (page 1 of 2)');
    expect(text.stdout).toContain('2026-01-24 to 2026-02-09 (page 2 of 2)');
    // Page 2 starts on the 24th: D1 (the 25th) is its second column, completed; the other dates never ran.
    const page2 = lines.slice(lines.findIndex((l) => l.startsWith('2026-01-24')));
    expect(page2[1]).toMatch(/^ {11}24 25 26 27 28 29 30 31 01 02/);
    expect(page2.find((l) => l.startsWith('Totals'))).toBe(`Totals      .  ✓${'  .'.repeat(15)}`);

    const backwards = await cli(['status', '--from', D1, '--to', '2026-01-01', '--project', root]);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to 2026-01-01 is before --from 2026-01-25');
    const both = await cli(['status', '--date', D1, '--from', D1, '--project', root]);
    expect(both.code).toBe(2);
    const tooLong = await cli(['status', '--from', '2000-01-01', '--to', '2026-01-01', '--project', root]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('maxRunDays');
  });
});
