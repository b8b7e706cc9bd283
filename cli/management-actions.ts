import { runIdFor } from '../shared/events/run-id.ts';
import { runRequestedEvent } from '../shared/events/run-request.ts';
import type { ManagementActions } from '../shared/http/management.ts';
import { requireComputation, type Manifest } from '../shared/manifest/manifest.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import type { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import { analyzeDates } from './commands/analyze.ts';
import { statusReport } from './commands/status.ts';

function checkNames(manifest: Manifest, names: string[] | null): void {
  for (const name of names ?? []) requireComputation(manifest, name);
}

/** The management API's actions over a service's ports: the same reports as the CLI, and runs started through the bus. */
export function managementActions(deps: {
  manifest: Manifest;
  state: StateStore;
  bus: EventBus;
  reader: () => Promise<ComputationReader>;
}): ManagementActions {
  const { manifest, state, bus } = deps;
  return {
    status: (date) => statusReport(manifest, state, date, new Date()),
    analyze: async (request) => {
      checkNames(manifest, request.computations);
      const { dates } = request;
      const analyzed = await analyzeDates(
        manifest,
        state,
        await deps.reader(),
        dates,
        request.computations,
        request.force,
      );
      const running = analyzed.filter((c) => c.decision === 'run');
      return {
        date: dates[0],
        to: dates[dates.length - 1],
        computations: analyzed,
        totalBytes: running.some((c) => c.bytes === null) ? null : running.reduce((sum, c) => sum + c.bytes!, 0),
      };
    },
    run: async (request) => {
      checkNames(manifest, request.computations);
      const runId = runIdFor(request, { via: 'api' });
      await bus.publish(runRequestedEvent(request, runId, 'api'));
      return { runId };
    },
  };
}
