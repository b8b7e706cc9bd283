import { judgeStoredResults } from '../shared/checks/judge.ts';
import { withHeartbeat } from '../shared/state/heartbeat.ts';
import type { Decision } from '../shared/plan/decide.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import type { ComputationState, Lease } from '../shared/ports/state-store.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import type { Outcomes } from './outcomes.ts';

/** The stored results' hash when a check-only run may judge them: they are what the current code made. */
function judgeableResult(stored: ComputationState | null): string | null {
  if (stored === null) return null;
  if (stored.status === 'completed' || stored.status === 'skipped') return stored.resultHash;
  // Failed by an error check: its results are stored and were judged, the hash kept with the outcomes.
  if (stored.status === 'failed' && stored.checks !== undefined) return stored.checks.resultHash;
  return null;
}

/**
 * Issue 22: when the only hash component that changed is `checks` (a check
 * was added, edited or removed), the stored results are judged again by the
 * new checks and the computation is not run: its code, inputs and
 * dependencies are those the results were made from. Returns whether it
 * finished the computation-date this way.
 */
export async function runChecksOnly(
  ports: ServicePorts,
  outcomes: Outcomes,
  under: { item: WorkItem; force: boolean; lease: Lease; stored: ComputationState | null; decision: Decision },
): Promise<boolean> {
  const { item, force, lease, stored, decision } = under;
  if (force || decision.changed.length !== 1 || decision.changed[0] !== 'checks') return false;
  const resultHash = judgeableResult(stored);
  if (resultHash === null || stored === null) return false;
  const base = {
    compositeHash: decision.compositeHash,
    components: decision.components,
    counts: stored.counts,
    bytesScanned: null,
  };
  // A scan of every stored result: the lease is renewed meanwhile, as during a finalization.
  const judged = await withHeartbeat(ports, lease, () => judgeStoredResults(ports, item, resultHash));
  const only = 'only its result checks changed: the stored results were judged again';
  if (judged?.error != null) {
    await outcomes.finish(item, lease, {
      ...base,
      status: 'failed',
      error: judged.error,
      resultHash: null,
      checks: judged.record,
    });
    return true;
  }
  await outcomes.finish(item, lease, {
    ...base,
    status: 'completed',
    resultHash,
    reason: [only, judged?.warning ?? null].filter((text) => text !== null).join('; '),
    checks: judged?.record ?? null,
  });
  return true;
}
