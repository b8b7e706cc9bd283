import type { BatchCompleted } from '../shared/events/contracts.ts';
import { RetryLaterError } from '../shared/errors.ts';
import { StaleLeaseError, type Lease } from '../shared/ports/state-store.ts';
import { checkBatchEvent, runOf } from '../shared/state/event-checks.ts';
import { ledgerKey } from '../shared/batches/batch-files.ts';
import { acquireLease, attemptOf, drivesAttempt, holderGone } from '../shared/state/leases.ts';
import { republishUnfinished, type FanOut } from './fan-out.ts';
import { isFinal, type ExecutorParts } from './parts.ts';
import { failOrRetry } from './retry.ts';

/**
 * The handler of `batch.completed`: moves the fan-out on under the lease
 * that drives its attempt (taking a released one over), or, for a late or
 * superseded completion, at most announces the outcome again.
 */
export function createBatchCompleted(parts: ExecutorParts): (event: BatchCompleted) => Promise<void> {
  const { ports, outcomes, completion } = parts;
  const { state, manifest, clock, settings } = ports;

  /**
   * A completion of the attempt whose holder let go (released on SIGTERM,
   * maybe while finalizing) or went quiet past the staleness (stopped,
   * paused, or gone with its host) while the computation still runs in
   * that run: takes the lease with a new token for the same attempt, so
   * the fan-out goes on now (its one-per-token steps, such as finalizing,
   * can run again) instead of when the sweep comes.
   */
  async function resumeGone(event: BatchCompleted, lease: Lease): Promise<Lease | null> {
    const current = await state.states.get(event.date, event.computation);
    if (current === null || current.runId !== event.runId || current.status !== 'running') return null;
    const now = clock.now();
    const taken = await acquireLease(
      state.leases,
      { computation: event.computation, date: event.date },
      settings.ownerId,
      now,
      (holder) => holder.token === lease.token && holderGone(holder, settings.leaseStaleMs, now) !== null,
      event.attempt,
    );
    return taken.acquired ? taken.lease : null;
  }

  /** The lease that moves this completion's attempt on: the current one, or a new one when its holder is gone; else null. */
  async function drivingLease(event: BatchCompleted, lease: Lease | null): Promise<Lease | null> {
    if (lease === null || attemptOf(lease) !== event.attempt) return null;
    const gone = holderGone(lease, settings.leaseStaleMs, clock.now());
    if (gone === null) return drivesAttempt(lease, event.attempt) ? lease : null;
    return resumeGone(event, lease);
  }

  return async function onBatchCompleted(event: BatchCompleted): Promise<void> {
    checkBatchEvent(manifest, await runOf(state, event), event);
    const item = { runId: event.runId, entry: manifest.byName.get(event.computation)!, date: event.date };
    const key = ledgerKey(event.runId, event.computation, event.date, event.attempt);
    // The worker recorded its batch before announcing it, so this count includes it.
    const [lease, summary] = await Promise.all([
      state.leases.get({ computation: event.computation, date: event.date }),
      state.ledger.summary(key),
    ]);
    // Only completions of the attempt the lease drives count: anything else is late or superseded.
    const driving = await drivingLease(event, lease);
    if (driving === null) {
      if (outcomes.announced(item)) return;
      // If the computation already finished in this run, say so again: the first announcement may have been lost.
      const done = await state.states.get(event.date, event.computation);
      if (done !== null && done.runId === event.runId && isFinal(done.status))
        await outcomes.announce(item, done.status);
      return;
    }
    const fan: FanOut = { ...item, attempt: event.attempt, lease: driving };
    try {
      if (driving !== lease) {
        // Taken over from a holder that let go or went quiet: send the batches it claimed and may never have sent.
        const sent = await republishUnfinished(ports, fan);
        const why = lease?.released === true ? 'released it' : 'went quiet past the lease staleness';
        ports.log.warn(
          {
            runId: event.runId,
            date: event.date,
            computation: item.entry.name,
            republished: sent,
            previousOwner: lease?.owner ?? null,
          },
          `Took ${item.entry.name} on ${event.date} over from a holder that ${why}; going on from its batch plan`,
        );
      } else if (driving.token !== event.leaseToken) {
        // Its holder took the lease again after a step failed (a retry gets a fresh token): a batch it had
        // claimed may never have been published. It sends them now, once per token, not after a sweep's takeover.
        const sent = await republishUnfinished(ports, fan);
        if (sent !== null)
          ports.log.warn(
            {
              runId: event.runId,
              date: event.date,
              computation: item.entry.name,
              republished: sent,
              token: driving.token,
            },
            `${item.entry.name} on ${event.date}: published again the batches it had claimed and not seen completed (${sent})`,
          );
      }
      await completion.advance(fan, summary);
    } catch (error) {
      if (error instanceof StaleLeaseError) return;
      if (error instanceof RetryLaterError) throw error;
      await failOrRetry(parts, item, error, driving);
    }
  };
}
