import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSummary, PARTIAL_ICON } from '../../../shared/reports/summary.ts';
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
    expect(totals).toContain('partial: 1 of 12 entities failed');
    expect(totals).toContain('11/12 entities, 1 failed');
    expect(result.stdout).toContain('1 partial)');
    expect(result.stdout).toContain(
      `fix the code or data, then run again, without --force, and the failed entities run again: compute run --date ${D1} --computation Totals --project ${project.root}`,
    );
    const dry = await cli(['execute', '--dry-run', '--computation', 'Totals', '--date', D1, '--project', project.root]);
    expect(dry.code).toBe(result.code);
  });

  it('counts entities only where a computation ran in this run, so a range adds up', async () => {
    const result = await cli(['run', '--date', D1, '--to', D2, '--computation', 'Totals', '--project', project.root]);
    const totals = result.stdout.split('\n').find((line) => line.trimStart().startsWith('Totals '))!;
    // D1 was partial, so it is never up to date: it runs again (12 entities) with D2 (11: e007 has no rows on D2).
    expect(totals).toMatch(/⚠️ 2 partial/);
    expect(totals).not.toMatch(/skipped/);
    expect(totals).toContain('21/23 entities, 2 failed');
    expect(totals).not.toContain('entities processed');
  });

  it('skips a completed date and counts only what ran: a fixed computation completes its partial date', async () => {
    const fixed = await scenarioProject({ entities: 12 });
    try {
      await cli(['run', '--date', D1, '--computation', 'Totals', '--project', fixed.root]);
      const result = await cli(['run', '--date', D1, '--to', D2, '--computation', 'Totals', '--project', fixed.root]);
      expect(result.code).toBe(0);
      const totals = result.stdout.split('\n').find((line) => line.trimStart().startsWith('Totals '))!;
      expect(totals).toMatch(/⏭️ 1 skipped/);
      expect(totals).toContain('11/11 entities');
    } finally {
      await fixed.remove();
    }
  });
});

describe('formatSummary colours', () => {
  const row = (name: string, status: string, failed: number) => ({
    date: D1,
    name,
    status,
    outcome: failed > 0 ? `partial: ${failed} of 4 entities failed` : status,
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
    computations: [row('Good', 'completed', 0), row('Partial', 'partial', 2)],
    resume: null,
  };

  it('paints completed green and partial yellow on a terminal, nothing elsewhere', () => {
    const coloured = formatSummary(summary, { colour: true }).split('\n');
    expect(coloured.find((l) => l.includes('Good'))).toContain('\x1b[32mcompleted');
    expect(coloured.find((l) => l.includes('Partial'))).toContain('\x1b[33mpartial: 2 of 4 entities failed');
    expect(formatSummary(summary)).not.toContain('\x1b[');
  });
});
