import type { InProcessBus } from '../shared/adapters/inprocess/inprocess-bus.ts';
import { describeSweep } from '../planner/sweep.ts';
import type { RunRecord } from '../shared/ports/state-store.ts';
import type { Runtime } from './runtime.ts';

/** Sweeps one run may take before the loop gives up on it. */
const SWEEP_ROUNDS = 5;

/**
 * The embedded mode's run loop: waits until the in-process bus is quiet;
 * if the run is still running then (an event dead-lettered, a handler that
 * lost its work), runs the watchdog on it, taking over this process's own
 * leases (nothing here holds them any more), and waits again. Returns the
 * run as it ended, or still running when sweeping no longer helps.
 */
export async function settleRun(runtime: Runtime, bus: InProcessBus, runId: string): Promise<RunRecord | null> {
  let run: RunRecord | null = null;
  for (let round = 0; ; round++) {
    await bus.idle();
    run = await readRun(runtime, runId);
    if (run === null || run.status !== 'running' || round === SWEEP_ROUNDS) return run;
    try {
      const report = await runtime.planner.sweep({ runId, reclaim: runtime.ports.settings.ownerId });
      runtime.ports.log.warn({ sweep: report }, `Run ${runId} went quiet before it finished; ${describeSweep(report)}`);
      if (report.actions.length === 0) return run;
    } catch (error) {
      // The sweep is idempotent: one that failed half-way is simply run again.
      runtime.ports.log.warn({ error: String(error) }, `Sweeping run ${runId} failed; trying again`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The run's record; a read that fails is tried again a few times (the run itself may be fine). */
async function readRun(runtime: Runtime, runId: string): Promise<RunRecord | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runtime.ports.state.runs.get(runId);
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
