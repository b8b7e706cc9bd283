import type { Logger } from '../shared/ports/logger.ts';
import { decide, type Decision } from '../shared/plan/decide.ts';
import { gatherDecideInputs } from '../shared/plan/decide-inputs.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import {
  FINAL_STATUSES,
  type ComputationState,
  type FinalStatus,
  type RunRecord,
} from '../shared/ports/state-store.ts';
import { RunVersionScopes } from '../shared/plan/input-versions.ts';
import { pastComputationTimeout, type ServicePorts } from '../shared/runtime/service-ports.ts';
import { createCompletion, type Completion } from './completion.ts';
import { createOutcomes, type Outcomes } from './outcomes.ts';

/** What the executor's parts (drive, start, retry, the two handlers) share: its ports and one of each helper. */
export interface ExecutorParts {
  ports: ServicePorts;
  outcomes: Outcomes;
  completion: Completion;
  /** Decides a computation on a date in a run; `stored` is its state, as the caller just read it. */
  decide(run: RunRecord, item: WorkItem, stored: ComputationState | null): Promise<Decision>;
}

export function createParts(ports: ServicePorts): ExecutorParts {
  const outcomes = createOutcomes(ports);
  /** Input-version lookups shared by the decisions of one run. */
  const versionScopes = ports.versionScopes ?? new RunVersionScopes(ports.manifest);
  return {
    ports,
    outcomes,
    completion: createCompletion(ports, outcomes),
    async decide(run, { entry, date }, stored) {
      const scope = versionScopes.forRun(run.runId);
      const { previous, inputs, dependencies } = await gatherDecideInputs(ports, entry, date, scope, stored);
      return decide({
        manifest: ports.manifest,
        entry,
        date,
        force: run.force,
        stored,
        previous,
        inputs,
        dependency: (name) => ({ kind: 'final', state: dependencies.get(name) ?? null }),
      });
    },
  };
}

export function isFinal(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** Whether a running computation passed its computation timeout. */
export function timedOut(ports: ServicePorts, item: WorkItem, current: ComputationState): boolean {
  return pastComputationTimeout(ports.settings, item.entry.config, current.startedAt, ports.clock.now());
}

/** The log lines of a computation on a date in a run. */
export function logFor(ports: ServicePorts, { runId, date, entry }: WorkItem): Logger {
  return ports.log.child({ runId, date, computation: entry.name });
}
