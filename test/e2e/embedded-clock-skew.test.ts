import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioProject } from '../support/scenario.ts';
import { shiftedClock } from '../support/shifted-clock.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';

const D = '2026-01-26';

/** `compute run` with its wall clock shifted by `offsetMs` (a host whose clock is off). */
function runShifted(root: string, offsetMs: number): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(
    process.execPath,
    [
      ...shiftedClock(offsetMs).execArgv,
      join(PACKAGE_ROOT, 'bin/compute.js'),
      'run',
      '--date',
      D,
      '--json',
      '--project',
      root,
    ],
    { env: { ...process.env, ...shiftedClock(offsetMs).env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout })));
}

/**
 * Found by the chaos test's clock offset (seed 2540255): a run on a host
 * whose clock was ahead finished a date; a run right after on a host with
 * the true clock took those states for another run's writes made while it
 * ran (it compared one host's time with the other's) and reported every
 * computation blocked, exit 1. "Written since this run started" is judged
 * on the state store's clock now.
 */
describe('runs on hosts whose clocks disagree (embedded)', () => {
  it('a run after one on a clock 10 minutes ahead finds the date up to date, not blocked by that run', async () => {
    const project = await scenarioProject({ entities: 6, dates: [D] });
    try {
      const ahead = await runShifted(project.root, 600_000);
      expect(ahead.code).toBe(0);
      const now = await runShifted(project.root, 0);
      const summary = JSON.parse(now.stdout) as {
        status: string;
        computations: Array<{ name: string; status: string }>;
      };
      expect(summary.computations.map((c) => `${c.name}=${c.status}`).sort()).toEqual([
        'Doubled=skipped',
        'Streak=skipped',
        'Summary=skipped',
        'Totals=skipped',
      ]);
      expect(now.code).toBe(0);
    } finally {
      await project.remove();
    }
  }, 60_000);
});
