import { judgeStoredResults } from '../shared/checks/judge.ts';
import { withHeartbeat } from '../shared/state/heartbeat.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import type { FinalStatus, Lease } from '../shared/ports/state-store.ts';
import { batchPrefix } from '../shared/events/blob-keys.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { writeState, type StateFields } from '../shared/state/state-writes.ts';
import { releaseLease } from '../shared/state/leases.ts';
import { claimStep } from '../shared/state/steps.ts';
import type { RunOutcome } from './finalize.ts';

/** What a computation was running with, kept in its final state. */
export interface RunningWith {
  compositeHash: string | null;
  components: StateFields['components'];
  bytesScanned: number | null;
  /** Said in the final state's reason when it completes (e.g. that it read a partial dependency); kept in the running state. */
  reason?: string | null;
}

export interface Outcomes {
  /** Announces a computation's final status to the planner. */
  announce(item: WorkItem, status: FinalStatus): Promise<void>;
  /** Whether this process already announced it (a hint: the first announcement may have been lost elsewhere). */
  announced(item: WorkItem): boolean;
  /** Writes a final state under the lease, releases it, announces the outcome and cleans the batch blobs. */
  finish(item: WorkItem, lease: Lease, fields: StateFields & { status: FinalStatus }): Promise<void>;
  /** `finish` with what a run of the computation came to. */
  finishWith(item: WorkItem, lease: Lease, running: RunningWith, outcome: RunOutcome): Promise<void>;
}

/** What a run came to when its results were committed but writing its final state failed. */
export interface CommittedOutcome {
  running: RunningWith;
  outcome: RunOutcome & { status: 'completed' };
}

/** Errors thrown after a results commit, with what the committed results came to (item 6 of issue 25). */
const committed = new WeakMap<object, CommittedOutcome>();

/**
 * The outcome whose results were committed before `error` was thrown, if
 * any: the last try writes the state from it rather than `failed`, so the
 * state never says failed over the new results it stored.
 */
export function committedOutcomeOf(error: unknown): CommittedOutcome | undefined {
  return typeof error === 'object' && error !== null ? committed.get(error) : undefined;
}

export function createOutcomes(ports: ServicePorts): Outcomes {
  const { state, bus, clock } = ports;
  /**
   * Outcomes this process has announced. Late completions of a finished
   * computation announce it again only when this process has not; otherwise
   * each late batch would wake the planner for nothing.
   */
  const done = new Set<string>();
  const id = ({ runId, date, entry }: WorkItem) => `${runId}/${date}/${entry.name}`;

  async function announce(item: WorkItem, status: FinalStatus): Promise<void> {
    const { runId, entry, date } = item;
    // Recorded first: the planner counts only an outcome the run holds (shared/state/event-checks.ts).
    await claimStep(state.runs, runId, { kind: 'outcome', date, computation: entry.name, status });
    await bus.publish({
      v: 1,
      type: 'computation.completed',
      runId,
      date,
      computation: entry.name,
      pass: entry.pass,
      status,
    });
    if (done.size > 10_000) done.clear();
    done.add(id(item));
  }

  async function finish(item: WorkItem, lease: Lease, fields: StateFields & { status: FinalStatus }): Promise<void> {
    const { runId, entry, date } = item;
    await writeState({ store: state, item, now: clock.now(), fields, fence: lease });
    await releaseLease(state.leases, lease);
    const log = ports.log.child({ runId, date, computation: entry.name });
    if (fields.status === 'failed') log.error({ error: fields.error }, `${entry.name} failed on ${date}`);
    else if (fields.status === 'partial')
      log.warn(
        { failed: fields.counts?.failed ?? null, reason: fields.reason ?? null },
        `${entry.name} partial on ${date}: ${fields.counts?.failed ?? 0} of ${fields.counts?.planned ?? 0} entities failed`,
      );
    else
      log.info({ status: fields.status, reason: fields.reason ?? null }, `${entry.name} ${fields.status} on ${date}`);
    await announce(item, fields.status);
    // Cleanup last and best-effort: late batches may still be writing here, and the outcome is already announced.
    if (fields.status !== 'skipped' && fields.status !== 'blocked') {
      await ports.blobs
        .deletePrefix(batchPrefix(runId, entry.name, date))
        .catch((error: unknown) =>
          log.warn({ error: String(error) }, 'Could not delete batch blobs; they are garbage now'),
        );
      // The scratch tables of sharded reads (if any): they would expire on their own.
      if (ports.shards !== undefined && entry.config.type === 'per-entity')
        await ports.shards
          .drop(
            { runId, computation: entry.name, date, attempt: lease.token },
            Object.keys(entry.config.requires).length,
          )
          .catch((error: unknown) =>
            log.warn({ error: String(error) }, 'Could not drop the scratch tables; they expire on their own'),
          );
    }
  }

  async function finishWith(item: WorkItem, lease: Lease, running: RunningWith, outcome: RunOutcome): Promise<void> {
    if (outcome.status !== 'completed') return finishUncommitted(item, lease, running, outcome);
    try {
      return await finishCompleted(item, lease, running, outcome);
    } catch (error) {
      // The results are committed: whoever gives up on this computation writes the state from them.
      if (typeof error === 'object' && error !== null) committed.set(error, { running, outcome });
      throw error;
    }
  }

  async function finishUncommitted(
    item: WorkItem,
    lease: Lease,
    running: RunningWith,
    outcome: RunOutcome & { status: 'impossible' | 'failed' },
  ): Promise<void> {
    const base = {
      compositeHash: running.compositeHash,
      components: running.components,
      bytesScanned: running.bytesScanned,
    };
    if (outcome.status === 'impossible')
      return finish(item, lease, {
        ...base,
        status: 'impossible',
        reason: outcome.reason,
        resultHash: null,
      });
    if (outcome.status === 'failed')
      return finish(item, lease, {
        ...base,
        status: 'failed',
        error: outcome.error,
        resultHash: null,
        ...(outcome.counts === undefined ? {} : { counts: outcome.counts }),
      });
  }

  async function finishCompleted(
    item: WorkItem,
    lease: Lease,
    running: RunningWith,
    outcome: RunOutcome & { status: 'completed' },
  ): Promise<void> {
    const base = {
      compositeHash: running.compositeHash,
      components: running.components,
      bytesScanned: running.bytesScanned,
    };
    // Some entities failed: their results are missing, so it is partial, never up to date.
    const partial = outcome.failed > 0;
    const counts = {
      planned: outcome.planned,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      stored: outcome.stored,
    };
    // Issue 22: the result checks judge the stored results before the state is final; a failed
    // error check fails the computation-date, so its dependents are blocked (shared/checks/).
    const judged = await withHeartbeat(ports, lease, () => judgeStoredResults(ports, item, outcome.resultHash));
    if (judged?.error != null)
      return finish(item, lease, {
        ...base,
        status: 'failed',
        error: judged.error,
        resultHash: null,
        counts,
        checks: judged.record,
      });
    return finish(item, lease, {
      ...base,
      status: partial ? 'partial' : 'completed',
      resultHash: outcome.resultHash,
      failedIds: partial ? (outcome.failedIds ?? []) : null,
      failures: partial ? (outcome.failureSample ?? []) : null,
      counts,
      reason:
        [outcome.failures, running.reason, judged?.warning ?? null].filter((text) => text != null).join('; ') || null,
      checks: judged?.record ?? null,
    });
  }

  return {
    announce,
    announced: (item) => done.has(id(item)),
    finish,
    finishWith,
  };
}
