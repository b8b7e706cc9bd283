import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPlanner } from '../../planner/planner.ts';
import { describeSweepAction, type SweepReport } from '../../planner/sweep.ts';
import { InProcessBus } from '../../shared/adapters/inprocess/inprocess-bus.ts';
import { createLogger, silentLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { newOwnerId } from '../../shared/runtime/owner.ts';
import { settingsFor } from '../../shared/runtime/ports.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPubSubBus } from '../pubsub-wiring.ts';
import { settleRun } from '../run-loop.ts';
import { openRuntime } from '../runtime.ts';
import { openStateStore } from '../wiring.ts';

/**
 * `compute sweep`: the watchdog by hand. On Pub/Sub it looks for runs whose
 * work has stalled and publishes what drives them on (the services do the
 * rest), as the runs topic's {"action": "sweep"} message does. In the
 * embedded mode it also runs what it finds here, to the end.
 */
export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'the watchdog: find runs whose holder is gone and drive them on',
  flags: {},
  async run(input) {
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const settings = settingsFor(project.execution, newOwnerId());
    let report: SweepReport;
    const runs: Array<{ runId: string; status: string }> = [];
    if (project.bus.type === 'pubsub') {
      const state = await openStateStore(project);
      const bus = await openPubSubBus(project);
      try {
        const planner = createPlanner({ manifest, state, bus, clock: systemClock, log: silentLogger(), settings });
        report = await planner.sweep();
      } finally {
        await bus.close();
        await state.close();
      }
    } else {
      const folder = join(project.root, '.compute', 'logs');
      mkdirSync(folder, { recursive: true });
      const file = createWriteStream(join(folder, `sweep-${new Date().toISOString().replace(/[-:.]/g, '')}.jsonl`));
      const logLine = (line: string) => void file.write(line);
      const log = createLogger({ destination: { write: logLine } });
      const bus = new InProcessBus({ log });
      const runtime = await openRuntime(manifest, { log, bus, useThreads: true, logLine });
      try {
        report = await runtime.planner.sweep();
        for (const runId of new Set(report.actions.map((a) => a.runId))) {
          const run = await settleRun(runtime, bus, runId);
          runs.push({ runId, status: run?.status ?? 'missing' });
        }
      } finally {
        await runtime.close();
        await new Promise((resolve) => file.end(resolve));
      }
    }
    if (input.flags.json === true) printJson(input, { ...report, runs });
    else {
      const lines = report.actions.map((a) => `  ${describeSweepAction(a)}`);
      input.io.stdout(
        `Sweep: ${report.looked} running run(s) looked at; ${report.actions.length === 0 ? 'nothing stuck.' : `${report.actions.length} action(s):`}\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${runs.map((r) => `  ${r.runId} is now ${r.status}\n`).join('')}`,
      );
    }
    return runs.some((r) => r.status !== 'completed') ? 1 : 0;
  },
};
