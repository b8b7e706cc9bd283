import { runIdFor } from '../shared/events/run-id.ts';
import { runRequestedEvent } from '../shared/events/run-request.ts';
import type { ManagementActions } from '../shared/http/management.ts';
import { requireComputation, type Manifest } from '../shared/manifest/manifest.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import type { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import { analyzeReport } from '../shared/reports/analyze.ts';
import { statusReport } from '../shared/reports/status.ts';

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
      const { date, to, computations, totalBytes } = await analyzeReport(
        { manifest, state, reader: await deps.reader() },
        { ...request, repair: false },
      );
      return { date, to, computations, totalBytes };
    },
    run: async (request) => {
      checkNames(manifest, request.computations);
      const runId = runIdFor(request, { via: 'api' });
      await bus.publish(runRequestedEvent(request, runId, 'api'));
      return { runId };
    },
  };
}
