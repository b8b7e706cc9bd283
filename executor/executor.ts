import type { BatchCompleted, PassReady } from '../shared/events/contracts.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { createBatchCompleted } from './batch-completed.ts';
import { createParts } from './parts.ts';
import { onPassReady } from './pass-ready.ts';

/**
 * The executor: decides, leases and runs computations; fans per-entity
 * work out and in. Its parts, by responsibility:
 * - pass-ready.ts: a pass is ready; drives each of its computations.
 * - drive.ts: decides without a lease (skip, block, repair, gave up), then takes the lease.
 * - start.ts: under the lease, takes a sealed plan over, or decides, records it running and
 *   runs it (global-run.ts) or fans it out (fan-out.ts).
 * - batch-completed.ts: a batch completed; moves its fan-out on (completion.ts, finalize.ts).
 * - retry.ts: after an error, retries or fails the computation.
 * - outcomes.ts: writes final states and announces them.
 */
export interface Executor {
  onPassReady: (event: PassReady) => Promise<void>;
  onBatchCompleted: (event: BatchCompleted) => Promise<void>;
}

export function createExecutor(ports: ServicePorts): Executor {
  const parts = createParts(ports);
  return {
    onPassReady: (event) => onPassReady(parts, event),
    onBatchCompleted: createBatchCompleted(parts),
  };
}
