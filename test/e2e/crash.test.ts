import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.ts';
import { ledgerKey } from '../../shared/batches/batch-files.ts';
import { cli, json } from '../support/cli.ts';
import { sql } from '../support/embedded.ts';
import { BODIES, scenarioProject } from '../support/scenario.ts';
import { PACKAGE_ROOT, type TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';
let project: TempProject | undefined;
afterAll(() => project?.remove());

async function killMidRun(): Promise<TempProject> {
  // Slow per-entity work, so the kill lands in the middle of a fan-out.
  const slow = 'await new Promise((r) => setTimeout(r, 3)); ';
  const project = await scenarioProject({
    entities: 300,
    dates: [D],
    bodies: { totals: slow + BODIES.totals, doubled: slow + BODIES.doubled },
  });
  const child = spawn(
    process.execPath,
    [join(PACKAGE_ROOT, 'bin/compute.js'), 'run', '--date', D, '--project', project.root],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<boolean>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal === 'SIGKILL')),
  );
  // Kill once Doubled is running and some but not all of its batches are recorded.
  const store = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
  const deadline = Date.now() + 60_000;
  while (child.exitCode === null && Date.now() < deadline) {
    const doubled = await store.states.get(D, 'Doubled');
    const lease = await store.leases.get({ computation: 'Doubled', date: D });
    if (doubled?.status === 'running' && doubled.runId !== null && lease !== null) {
      const summary = await store.ledger.summary(ledgerKey(doubled.runId, 'Doubled', D, lease.token));
      if (summary.completed > 0 && summary.completed < 30) {
        child.kill('SIGKILL');
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await store.close();
  const killed = await exited;
  expect(killed).toBe(true);
  const before = await cli(['status', '--date', D, '--json', '--project', project.root]);
  const running = json<{ computations: Array<{ name: string; status: string; stale: boolean }> }>(
    before,
  ).computations.filter((c) => c.status === 'running');
  expect(running.length).toBeGreaterThan(0);
  // Its holder process on this machine is gone, so status does not call it fresh.
  expect(running.every((c) => c.stale)).toBe(true);

  return project;
}

describe('a run killed with SIGKILL', () => {
  it('completes when run again, every result stored exactly once', async () => {
    project = await killMidRun();
    const again = await cli(['run', '--date', D, '--json', '--project', project.root]);
    expect(again.code).toBe(0);
    const outcome = json<{ status: string; computations: Array<{ name: string; status: string }> }>(again);
    expect(outcome.status).toBe('completed');
    expect(Object.fromEntries(outcome.computations.map((c) => [c.name, c.status]))).toMatchObject({
      Totals: 'skipped',
      Doubled: 'completed',
      Summary: 'completed',
    });
    for (const table of ['Totals', 'Doubled', 'Streak']) {
      const [row] = await sql(project.root, [
        `SELECT count(*)::INTEGER AS n, count(DISTINCT entity_id)::INTEGER AS distinct_entities FROM compute_results."${table}" WHERE date = DATE '${D}'`,
      ]);
      expect(row).toEqual({ n: 300, distinct_entities: 300 });
    }
    const [summary] = await sql(project.root, [
      `SELECT result FROM compute_results."Summary" WHERE date = DATE '${D}'`,
    ]);
    expect(JSON.parse(String(summary!.result))).toMatchObject({ entities: 300 });
  }, 120_000);

  it('is finished by compute sweep, the same run taken over, every result stored exactly once', async () => {
    project = await killMidRun();
    const swept = await cli(['sweep', '--json', '--project', project.root]);
    expect(swept.stderr).toBe('');
    expect(swept.code).toBe(0);
    const report = json<{ looked: number; actions: Array<{ action: string }>; runs: Array<{ status: string }> }>(swept);
    expect(report.looked).toBe(1);
    expect(report.actions.map((a) => a.action)).toContain('republished pass.ready');
    expect(report.runs).toEqual([{ runId: expect.any(String), status: 'completed' }]);
    const status = json<{ computations: Array<{ name: string; status: string }> }>(
      await cli(['status', '--date', D, '--json', '--project', project.root]),
    );
    expect(status.computations.map((c) => c.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const table of ['Totals', 'Doubled', 'Streak']) {
      const [row] = await sql(project.root, [
        `SELECT count(*)::INTEGER AS n, count(DISTINCT entity_id)::INTEGER AS distinct_entities FROM compute_results."${table}" WHERE date = DATE '${D}'`,
      ]);
      expect(row).toEqual({ n: 300, distinct_entities: 300 });
    }
    // Nothing is left for a second sweep.
    expect(json<{ actions: unknown[] }>(await cli(['sweep', '--json', '--project', project.root])).actions).toEqual([]);
  }, 120_000);

  it('a second compute run while one holds the project says which process holds it and what to do', async () => {
    const busy = await scenarioProject({
      entities: 40,
      dates: [D],
      bodies: { totals: 'await new Promise((r) => setTimeout(r, 100)); ' + BODIES.totals },
    });
    const child = spawn(
      process.execPath,
      [join(PACKAGE_ROOT, 'bin/compute.js'), 'run', '--date', D, '--project', busy.root],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const store = new SqliteStateStore(join(busy.root, '.compute/state.sqlite'));
      const deadline = Date.now() + 30_000;
      while ((await store.states.get(D, 'Totals'))?.status !== 'running' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await store.close();
      const second = await cli(['run', '--date', D, '--json', '--project', busy.root]);
      expect(second.code).toBe(1);
      expect(second.stderr).not.toContain('Unexpected error');
      const answer = json<{ ok: boolean; errors: Array<{ code: string; message: string }> }>(second);
      expect(answer.ok).toBe(false);
      expect(answer.errors[0]!.code).toBe('PROJECT_BUSY');
      expect(answer.errors[0]!.message).toContain(`in use by process ${child.pid} (`);
      expect(answer.errors[0]!.message).toContain(`kill ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
      await busy.remove();
    }
  }, 60_000);
});
