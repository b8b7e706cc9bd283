import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSummary, PARTIAL_ICON } from '../../../planner/summary.ts';
import { cli, json } from '../../support/cli.ts';
import { BODIES, scenarioProject } from '../../support/scenario.ts';
import type { TempProject } from '../../support/temp-project.ts';

const [D1, D2] = ['2026-01-25', '2026-01-26'];

/** What `compute run` says happened: honest outcomes, counts that add up, notes a user needs. */
describe('the run summary', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await scenarioProject({
      entities: 12,
      // e003 fails on every date; the rest complete.
      bodies: { totals: `if (ctx.entityId === 'e003') throw new Error('bad row'); ${BODIES.totals}` },
    });
  });
  afterAll(() => project.remove());

  it('says once that a historical computation started from no previous result', async () => {
    const result = await cli(['run', '--date', D1, '--to', D2, '--computation', 'Streak', '--project', project.root]);
    const notes = result.stdout.split('\n').filter((line) => line.startsWith('Note: '));
    expect(notes).toEqual([
      `Note: Streak (historical) started on ${D1} from no previous result: nothing usable is stored for 2026-01-24, so ctx.previousResult was null. Run 2026-01-24 first if it should carry over.`,
    ]);
    const again = json<{ notes: string[] }>(
      await cli(['run', '--date', D2, '--computation', 'Streak', '--force', '--json', '--project', project.root]),
    );
    expect(again.notes).toEqual([]);
  });

  it('shows a computation with failed entities in its own icon and words, and exits 1 as a dry run does', async () => {
    const result = await cli(['run', '--date', D1, '--computation', 'Totals,Streak', '--project', project.root]);
    expect(result.code).toBe(1);
    const totals = result.stdout.split('\n').find((line) => line.includes(' Totals '))!;
    expect(totals).toContain('⚠️');
    expect(totals).not.toContain('✅');
    expect(totals).toContain('completed with 1 failed entity');
    expect(totals).toContain('11/12 entities, 1 failed');
    expect(result.stdout).toContain('1 completed with failed entities');
    expect(result.stdout).toContain(
      `fix the code or data, then re-run them with --force: compute run --date ${D1} --computation Totals --force --project ${project.root}`,
    );
    const dry = await cli(['execute', '--dry-run', '--computation', 'Totals', '--date', D1, '--project', project.root]);
    expect(dry.code).toBe(result.code);
  });

  it('counts entities only where a computation ran in this run, so a range adds up', async () => {
    const result = await cli(['run', '--date', D1, '--to', D2, '--computation', 'Totals', '--project', project.root]);
    const totals = result.stdout.split('\n').find((line) => line.trimStart().startsWith('Totals '))!;
    // D1 was computed before and is skipped now: only D2 counts, 11 entities (e007 has no rows on D2).
    expect(totals).toMatch(/⏭️ 1 skipped/);
    expect(totals).toMatch(/⚠️ 1 completed with failed entities/);
    expect(totals).toContain('10/11 entities, 1 failed');
    expect(totals).not.toContain('entities processed');
  });
});

describe('formatSummary colours', () => {
  const row = (name: string, status: string, failed: number) => ({
    date: D1,
    name,
    status,
    outcome: failed > 0 ? `completed with ${failed} failed entities` : status,
    icon: failed > 0 ? PARTIAL_ICON : '✅',
    partial: failed > 0,
    ran: true,
    resultHash: null,
    durationMs: null,
    entities: { planned: 4, succeeded: 4 - failed, failed, stored: 4 - failed },
    bytesScanned: null,
    detail: null,
  });
  const summary = {
    runId: 'r',
    status: 'completed' as const,
    dates: [D1],
    durationMs: 10,
    counts: {},
    computations: [row('Good', 'completed', 0), row('Partial', 'completed', 2)],
    resume: null,
  };

  it('paints completed green and completed-with-failures yellow on a terminal, nothing elsewhere', () => {
    const coloured = formatSummary(summary, { colour: true }).split('\n');
    expect(coloured.find((l) => l.includes('Good'))).toContain('\x1b[32mcompleted');
    expect(coloured.find((l) => l.includes('Partial'))).toContain('\x1b[33mcompleted with 2 failed entities');
    expect(formatSummary(summary)).not.toContain('\x1b[');
  });
});
