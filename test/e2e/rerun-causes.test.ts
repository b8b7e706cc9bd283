import { afterEach, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, storedResults } from '../support/embedded.ts';
import { addScaled, scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const D1 = '2026-01-25';
const D2 = '2026-01-26';

interface AnalyzeJson {
  computations: Array<{ name: string; date: string; decision: string; changed: string[]; reasons: string[] }>;
}

/**
 * What the README promises re-runs a computation, each proven end to end on
 * the embedded mode: an edited rule module, and a changed result of the
 * previous day for a historical computation. Nothing else re-runs.
 */
describe('what re-runs a computation', () => {
  let project: TempProject | undefined;
  afterEach(async () => {
    await project?.remove();
    project = undefined;
  });

  it('an edited rule re-runs the computations that list it, and only them', async () => {
    project = await scenarioProject({ entities: 6, dates: [D1] });
    await addScaled(project);
    await runProject(project.root, { dates: [D1] });
    const before = await storedResults(project.root, 'Scaled', D1);

    await project.write('rules/scale.js', 'export const factor = 3;\n');
    const analysis = json<AnalyzeJson>(await cli(['analyze', '--date', D1, '--json', '--project', project.root]));
    const decisions = Object.fromEntries(analysis.computations.map((c) => [c.name, [c.decision, c.changed]]));
    expect(decisions).toEqual({
      Totals: ['skip', []],
      Doubled: ['skip', []],
      Summary: ['skip', []],
      Streak: ['skip', []],
      Scaled: ['run', ['rule:scale']],
    });
    expect(analysis.computations.find((c) => c.name === 'Scaled')!.reasons).toEqual(['rule scale changed']);

    const second = await runProject(project.root, { dates: [D1] });
    expect(second.states.get(`${D1}/Scaled`)!.status).toBe('completed');
    expect(second.states.get(`${D1}/Totals`)!.status).toBe('skipped');
    const after = await storedResults(project.root, 'Scaled', D1);
    expect(after.map((r) => (r.result as { scaled: number }).scaled)).toEqual(
      before.map((r) => ((r.result as { scaled: number }).scaled / 2) * 3),
    );
  });

  it("a changed previous-day result re-runs a historical computation's next date, and nothing else", async () => {
    project = await scenarioProject({ entities: 6, dates: [D1, D2] });
    await runProject(project.root, { dates: [D1, D2] });
    const before = await storedResults(project.root, 'Streak', D2);

    // A correction upstream: e001 had no rows on D1 after all. Only D1 is re-run (forced: the code did not change).
    await sql(project.root, [`DELETE FROM events WHERE entity_id = 'e001' AND date = DATE '${D1}'`]);
    await runProject(project.root, { dates: [D1], computations: ['Streak'], force: true });

    const analysis = json<AnalyzeJson>(await cli(['analyze', '--date', D2, '--json', '--project', project.root]));
    expect(Object.fromEntries(analysis.computations.map((c) => [c.name, [c.decision, c.changed]]))).toEqual({
      Totals: ['skip', []],
      Doubled: ['skip', []],
      Summary: ['skip', []],
      Streak: ['run', ['previous']],
    });
    expect(analysis.computations.find((c) => c.name === 'Streak')!.reasons).toEqual([
      "the previous day's result changed",
    ]);

    const second = await runProject(project.root, { dates: [D2] });
    expect(second.states.get(`${D2}/Streak`)!.status).toBe('completed');
    const after = await storedResults(project.root, 'Streak', D2);
    const days = (rows: typeof before) =>
      Object.fromEntries(rows.map((r) => [r.entityId, (r.result as { days: number }).days]));
    expect(days(after)).toEqual({ ...days(before), e001: days(before).e001! - 1 });
  });
});
