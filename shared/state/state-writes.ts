import type { HashComponents } from '../manifest/composite-hash.ts';
import type {
  ComputationState,
  ComputationStatus,
  EntityCounts,
  EntityError,
  FinalStatus,
  LeaseToken,
  StateStore,
  StateVersion,
} from '../ports/state-store.ts';
import { expiresAt } from './expiry.ts';
import { changedSince, historyEntry } from './history.ts';
import type { CheckRecord } from '../checks/run-checks.ts';
import type { WorkItem } from '../manifest/work-item.ts';

export interface StateFields {
  status: ComputationStatus;
  compositeHash?: string | null;
  components?: HashComponents | null;
  resultHash?: string | null;
  counts?: EntityCounts | null;
  error?: string | null;
  reason?: string | null;
  bytesScanned?: number | null;
  startedAt?: string | null;
  failedIds?: string[] | null;
  failures?: EntityError[] | null;
  tries?: { compositeHash: string; count: number } | null;
  /** Result checks' outcomes (issue 22, shared/checks/); a skip keeps the stored ones. */
  checks?: CheckRecord | null;
}

/** One state write: see writeState. */
export interface StateWrite {
  store: StateStore;
  /** The computation, date and run whose state is written. */
  item: WorkItem;
  /** The time of the write (its updatedAt; finishedAt of a final state). */
  now: Date;
  /** What the write changes; fields it leaves out are kept (see writeState). */
  fields: StateFields;
  /**
   * The lease the writer holds, or for a write without one (a skip, a
   * block) the version of the state it was decided on: a write that lost a
   * race writes nothing. (Default: none, the write is not fenced)
   */
  fence?: LeaseToken | StateVersion;
  /** The state the caller decided on. (Default: the stored state, read here) */
  known?: ComputationState | null;
}

/**
 * Writes the state of (computation, date) for a run, keeping fields the
 * update does not name from `known`, or else from the stored state.
 */
export async function writeState(write: StateWrite): Promise<ComputationState> {
  const { store, item, now, fields, fence, known } = write;
  const { entry, date, runId } = item;
  const previous = known !== undefined ? known : await store.states.get(date, entry.name);
  const final = fields.status !== 'running' && fields.status !== 'pending';
  /** What a write names anew; a skip keeps the stored value, any other write clears it. */
  const keptOnSkip = <K extends 'failedIds' | 'failures'>(key: K): ComputationState[K] | null =>
    fields[key] !== undefined
      ? (fields[key] as ComputationState[K])
      : fields.status === 'skipped'
        ? (previous?.[key] ?? null)
        : null;
  const state: ComputationState = {
    computation: entry.name,
    date,
    runId,
    codeHash: entry.codeHash,
    status: fields.status,
    compositeHash: fields.compositeHash !== undefined ? fields.compositeHash : (previous?.compositeHash ?? null),
    components: fields.components !== undefined ? fields.components : (previous?.components ?? null),
    resultHash: fields.resultHash !== undefined ? fields.resultHash : (previous?.resultHash ?? null),
    startedAt:
      fields.startedAt !== undefined
        ? fields.startedAt
        : previous?.runId === runId
          ? previous.startedAt
          : now.toISOString(),
    finishedAt: final ? now.toISOString() : null,
    updatedAt: now.toISOString(),
    // A skip keeps what the stored result was made of: its counts and bytes.
    counts:
      fields.counts !== undefined ? fields.counts : fields.status === 'skipped' ? (previous?.counts ?? null) : null,
    error: fields.error ?? null,
    reason: fields.reason ?? null,
    bytesScanned:
      fields.bytesScanned !== undefined
        ? fields.bytesScanned
        : fields.status === 'skipped'
          ? null
          : previous?.runId === runId
            ? previous.bytesScanned
            : null,
    expiresAt: expiresAt(now, entry.config.ttlDays),
    // A skip keeps what the stored result was made of; any other write says anew which entities failed.
    failedIds: keptOnSkip('failedIds'),
    failures: keptOnSkip('failures'),
    // Automatic tries are counted per composite hash across runs: kept until a write names them anew.
    tries: fields.tries !== undefined ? fields.tries : (previous?.tries ?? null),
    changed: null,
  };
  state.changed = changedSince(previous, runId, state.components, fields.components !== undefined);
  // Issue 22: the checks that judged the stored results; a skip keeps them, as it keeps the result.
  const checks = fields.checks !== undefined ? fields.checks : fields.status === 'skipped' ? previous?.checks : null;
  if (checks != null) state.checks = checks;
  await store.states.put(state, fence);
  // The durable record of what this run did to it (issue 21): beside the state, on every path that writes one.
  if (final) await store.history.record(historyEntry({ ...state, status: fields.status as FinalStatus }));
  return state;
}
