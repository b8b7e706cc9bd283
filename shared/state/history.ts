import { changedComponents, type HashComponents } from '../manifest/composite-hash.ts';
import { isPartial } from '../plan/decide.ts';
import {
  HISTORY_FAILURES_CAP,
  type ComputationState,
  type FinalStatus,
  type HistoryEntry,
} from '../ports/state-store.ts';

const DECISIONS: Record<FinalStatus, HistoryEntry['decision']> = {
  completed: 'run',
  partial: 'run',
  failed: 'run',
  skipped: 'skip',
  blocked: 'blocked',
  impossible: 'impossible',
};

/**
 * The components a state write says changed: decided when a run first
 * writes the computation-date (against the state before it), then kept by
 * that run's later writes of it.
 */
export function changedSince(
  previous: ComputationState | null,
  runId: string,
  components: HashComponents | null,
  componentsNamed: boolean,
): string[] {
  if (previous?.runId === runId && previous.changed != null) return previous.changed;
  if (!componentsNamed || components === null) return [];
  return changedComponents(previous?.components ?? undefined, components);
}

/** The history entry of a final state, as its run left it. */
export function historyEntry(state: ComputationState & { status: FinalStatus }): Omit<HistoryEntry, 'expiresAt'> {
  const status: FinalStatus = state.status !== 'skipped' && isPartial(state) ? 'partial' : state.status;
  const ran = DECISIONS[status] === 'run';
  const duration =
    state.startedAt !== null && state.finishedAt !== null
      ? Date.parse(state.finishedAt) - Date.parse(state.startedAt)
      : null;
  return {
    runId: state.runId ?? '',
    computation: state.computation,
    date: state.date,
    status,
    decision: DECISIONS[status],
    reason: state.reason,
    error: state.error,
    changed: state.changed ?? [],
    compositeHash: state.compositeHash,
    resultHash: state.resultHash,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
    durationMs: ran ? duration : null,
    // A skip's counts are those of the run that computed it: not this run's work.
    counts: ran ? state.counts : null,
    failures: ran ? (state.failures ?? []).slice(0, HISTORY_FAILURES_CAP) : [],
    bytesEstimated: ran ? state.bytesScanned : null,
    // Not measured yet: the BigQuery adapter reports estimates, not the jobs' billed bytes.
    bytesBilled: null,
    recordedAt: state.updatedAt,
  };
}

/** Whether a status is final (a history entry is written for it). */
export function isFinalStatus(status: ComputationState['status']): status is FinalStatus {
  return status !== 'running' && status !== 'pending';
}
