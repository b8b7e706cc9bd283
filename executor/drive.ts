import { isComplete, type Decision } from '../shared/plan/decide.ts';
import { repairReason } from '../shared/plan/repair.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import {
  StaleLeaseError,
  StaleStateError,
  type ComputationState,
  type FinalStatus,
  type RunRecord,
  type StateVersion,
} from '../shared/ports/state-store.ts';
import { writeState } from '../shared/state/state-writes.ts';
import { isDue } from '../shared/schedule/due.ts';
import { releaseLease } from '../shared/state/leases.ts';
import { takeLease, type TakeoverReasons } from './lease.ts';
import { isFinal, logFor, timedOut, type ExecutorParts } from './parts.ts';
import { runUnderLease } from './start.ts';

/** Automatic runs (scheduled, repair) of one computation, date and composite hash before they leave it to a person. */
export const MAX_AUTOMATIC_TRIES = 3;

/** Whether automatic runs have tried this version of a computation-date often enough. */
function gaveUp(decision: Decision, stored: ComputationState | null): boolean {
  return (
    decision.decision === 'run' &&
    stored !== null &&
    !isComplete(stored) &&
    decision.compositeHash !== null &&
    stored.tries?.compositeHash === decision.compositeHash &&
    stored.tries.count >= MAX_AUTOMATIC_TRIES
  );
}

/**
 * A final state another run wrote after `run` started: that run's word on
 * what ran, not this one's to overwrite. Judged on the store's clock (when
 * it wrote the state, when it created the run), since the two runs' hosts
 * may disagree on the time; records written before the store kept those
 * stamps fall back to the writers' own times.
 */
function writtenByOtherRunSince(
  stored: ComputationState,
  run: RunRecord,
): stored is ComputationState & { status: FinalStatus } {
  if (stored.runId === run.runId || !isFinal(stored.status)) return false;
  if (stored.storedAtMs !== undefined && run.createdAtMs !== undefined) return stored.storedAtMs >= run.createdAtMs;
  return stored.updatedAt >= run.startedAt;
}

/**
 * Drives one computation of a pass on: announces it again when it
 * finished in this run, records a skip or block without a lease, else
 * takes the lease (free, stale, or held by a holder that may be replaced:
 * see takeoverReason) and runs it, or takes a running one over. A live
 * holder is left alone; the watchdog comes back if it goes quiet.
 */
export async function drive(parts: ExecutorParts, run: RunRecord, item: WorkItem, reclaim?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await driveOnce(parts, run, item, reclaim);
    } catch (error) {
      // Another run wrote the state between this one's read and its write: decide again on what it wrote.
      if (!(error instanceof StaleStateError) || attempt >= 3) throw error;
    }
  }
}

async function driveOnce(parts: ExecutorParts, run: RunRecord, item: WorkItem, reclaim?: string): Promise<void> {
  const { ports, outcomes } = parts;
  const { runId, entry, date } = item;
  const log = logFor(ports, item);
  const current = await ports.state.states.get(date, entry.name);
  if (current?.runId === runId && isFinal(current.status)) {
    // A redelivered pass.ready (or the watchdog) after this computation finished: say so again, change nothing.
    return outcomes.announce(item, current.status);
  }
  if (current !== null && writtenByOtherRunSince(current, run)) {
    // Another run (the same request delivered twice, two people asking for one date) finished it while
    // this run ran: its state says what ran, and this run reports it instead of overwriting it.
    log.info(
      { otherRun: current.runId, status: current.status },
      `${entry.name} on ${date} was ${current.status} by run ${current.runId} while this run ran; left as that run wrote it`,
    );
    return outcomes.announce(item, current.status);
  }
  const mine = current?.runId === runId && current.status === 'running';
  // Skips and blocks change nothing stored but the state, so they need no lease: a no-op re-run stays cheap.
  if (!mine && (await settledWithoutLease(parts, run, item, current))) return;
  const reasons: TakeoverReasons = {
    reclaim,
    supersede: mine && current.codeHash !== entry.codeHash,
    timedOut: mine && timedOut(ports, item, current),
  };
  const taken = await takeLease(ports, { computation: entry.name, date }, reasons);
  if (!taken.acquired) {
    if (current !== null && current.runId !== runId && current.status === 'running') {
      // Another run holds it: this run cannot wait for it, so it reports it as blocked (storing nothing).
      log.warn(
        { holder: taken.holder.owner, otherRun: current.runId },
        `${entry.name} on ${date} is being run by run ${current.runId}; counted as blocked in this run`,
      );
      return outcomes.announce(item, 'blocked');
    }
    const beat = taken.holder.heartbeatAt ?? taken.holder.acquiredAt;
    log.info(
      { holder: taken.holder.owner, lastHeartbeat: beat },
      `${entry.name} on ${date} is being run by ${taken.holder.owner} (last heartbeat ${beat}); leaving it to it`,
    );
    return;
  }
  try {
    await runUnderLease(parts, run, item, taken.lease, reasons);
  } catch (error) {
    // Let the retry start over instead of finding its own lease in the way.
    if (!(error instanceof StaleLeaseError)) await releaseLease(ports.state.leases, taken.lease);
    throw error;
  }
}

/**
 * Before any lease: a date of the repair window with nothing to repair, a
 * computation-date automatic runs gave up on, or a skip or block decided
 * on its stored state is recorded (only the state, fenced by the version
 * it was decided on) and announced. Returns whether it settled it so.
 */
async function settledWithoutLease(
  parts: ExecutorParts,
  run: RunRecord,
  item: WorkItem,
  current: ComputationState | null,
): Promise<boolean> {
  const { ports, outcomes } = parts;
  const { entry, date } = item;
  const repairing = run.repairDates?.includes(date) === true;
  if (repairing && !isDue(entry.config.schedule, date)) {
    // Not due on this date of the repair window: not part of it, and nothing stored changes.
    await outcomes.announce(item, 'skipped');
    return true;
  }
  const early = await parts.decide(run, item, current);
  if (repairing && repairReason(early, current) === null) {
    // Nothing to repair on this earlier date: leave its state as it is.
    await outcomes.announce(item, 'skipped');
    return true;
  }
  const version: StateVersion = { updatedAt: current?.updatedAt ?? null };
  if (run.automatic === true && !run.force && current !== null && isFinal(current.status) && gaveUp(early, current)) {
    await recordGivenUp(parts, item, current as ComputationState & { status: FinalStatus }, version);
    return true;
  }
  if (early.decision !== 'skip' && early.decision !== 'blocked') return false;
  const fields =
    early.decision === 'skip'
      ? {
          status: 'skipped' as const,
          compositeHash: early.compositeHash,
          components: early.components,
          reason: early.reasons.join('; '),
        }
      : { status: 'blocked' as const, reason: early.reasons.join('; '), resultHash: null };
  // Written from the state it was decided on: a skip keeps that state's result hash and counts.
  await writeState({ store: ports.state, item, now: ports.clock.now(), fields, fence: version, known: current });
  logFor(ports, item).info(
    { status: fields.status, reason: fields.reason },
    `${entry.name} ${fields.status} on ${date}`,
  );
  await outcomes.announce(item, fields.status);
  return true;
}

/** Says in its state that automatic runs leave this version of the computation-date to a person now. */
async function recordGivenUp(
  parts: ExecutorParts,
  item: WorkItem,
  current: ComputationState & { status: FinalStatus },
  version: StateVersion,
): Promise<void> {
  const { ports, outcomes } = parts;
  const { runId, entry, date } = item;
  const note = `${MAX_AUTOMATIC_TRIES} automatic tries of this version failed; scheduled runs leave it now. Run it by hand: compute run --date ${date} --computation ${entry.name} --force`;
  const status = current.status;
  if (current.reason !== note || current.runId !== runId)
    // Only the reason changes: its results, counts and failed entities stay what they are (a chain after it still sees them).
    await writeState({
      store: ports.state,
      item,
      now: ports.clock.now(),
      fields: {
        status,
        reason: note,
        error: current.error,
        counts: current.counts,
        failedIds: current.failedIds ?? null,
        failures: current.failures ?? null,
        bytesScanned: current.bytesScanned,
        startedAt: current.startedAt,
        ...(current.checks === undefined ? {} : { checks: current.checks }),
      },
      fence: version,
      known: current,
    });
  logFor(ports, item).warn({ tries: current.tries }, `${entry.name} on ${date}: ${note}`);
  await outcomes.announce(item, status);
}
