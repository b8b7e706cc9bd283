import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlanner } from '../../../planner/planner.ts';
import { openRuntime, type Runtime } from '../../../cli/runtime.ts';
import { silentLogger } from '../../../shared/logging/logger.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { ManualBus } from '../../support/manual-bus.ts';
import { BODIES, failWhileMarked, scenarioProject } from '../../support/scenario.ts';
import type { TempProject } from '../../support/temp-project.ts';

/**
 * A planner service on its own (no warehouse to read) cannot scan the
 * repair window: it keeps every date of the window and the executor
 * decides on each. Both paths must come to the same: what needs repair
 * runs again, nothing else is touched.
 */
const DATES = ['2026-01-23', '2026-01-24', '2026-01-25', '2026-01-26'];

let project: TempProject | undefined;
let runtime: (Runtime & { close(): Promise<void> }) | undefined;
afterEach(async () => {
  await runtime?.close();
  await project?.remove();
  runtime = undefined;
  project = undefined;
});

describe('the repair window from a planner that reads no warehouse', () => {
  it('keeps the whole window; the executor repairs the partial date and leaves the others untouched', async () => {
    project = await scenarioProject({
      entities: 8,
      dates: DATES,
      config: { repairDays: 3 },
      bodies: {
        totals: failWhileMarked('e002', BODIES.totals),
      },
    });
    const manifest = await requireManifest(await loadProjectConfig(project.root, {}));
    const bus = new ManualBus();
    runtime = await openRuntime(manifest, { log: silentLogger(), bus });
    const { state } = runtime.ports;
    const request = (runId: string, dates: string[], schedule?: string) => ({
      v: 1 as const,
      type: 'run.requested' as const,
      runId,
      dates,
      computations: null,
      force: false,
      trigger: 'test',
      ...(schedule === undefined ? {} : { schedule }),
    });
    // The first three dates ran, the middle one partial.
    await bus.publish(request('first', DATES.slice(0, 1)));
    await bus.drain();
    await writeFile(join(project.root, 'FAIL'), '');
    await bus.publish(request('second', DATES.slice(1, 2)));
    await bus.drain();
    await rm(join(project.root, 'FAIL'));
    await bus.publish(request('third', DATES.slice(2, 3)));
    await bus.drain();
    expect((await state.states.get(DATES[1]!, 'Totals'))!.status).toBe('partial');

    // A planner with no reader, as `compute serve planner` alone is, gets the scheduled message.
    const { reader: _reader, versionScopes: _scopes, ...withoutWarehouse } = runtime.ports;
    const plannerOnly = createPlanner(withoutWarehouse);
    await plannerOnly.onRunRequested(request('scheduled', [DATES[3]!], '02:00'));
    expect((await state.runs.get('scheduled'))!.repairDates).toEqual(DATES.slice(0, 3));
    await bus.drain();

    const run = (await state.runs.get('scheduled'))!;
    expect(run.status).toBe('completed');
    const states = await state.states.list();
    const by = (date: string, name: string) => states.find((s) => s.date === date && s.computation === name)!;
    // Repaired: the partial date, and what its changed output fed.
    expect(by(DATES[1]!, 'Totals')).toMatchObject({ status: 'completed', runId: 'scheduled' });
    expect(by(DATES[1]!, 'Doubled').runId).toBe('scheduled');
    // Untouched: the dates with nothing to repair keep the runs that wrote them.
    expect(by(DATES[0]!, 'Totals').runId).toBe('first');
    expect(by(DATES[2]!, 'Totals').runId).toBe('third');
    expect(by(DATES[3]!, 'Totals')).toMatchObject({ status: 'completed', runId: 'scheduled' });

    // The planner that reads the warehouse names the same date, and only it.
    await writeFile(join(project.root, 'FAIL'), '');
    await bus.publish({ ...request('partial-again', DATES.slice(1, 2)), force: true });
    await bus.drain();
    await rm(join(project.root, 'FAIL'));
    await runtime.planner.onRunRequested(request('scanned', [DATES[3]!], '02:00'));
    expect((await state.runs.get('scanned'))!.repairDates).toEqual([DATES[1]]);
  });
});
