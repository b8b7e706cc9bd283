import type { BatchCompleted } from '../shared/events/contracts.ts';
import { StaleLeaseError, type Lease } from '../shared/ports/state-store.ts';
import { checkBatchEvent, runOf } from '../shared/state/event-checks.ts';
import { ledgerKey } from '../shared/batches/batch-files.ts';
import { heartbeatEvery } from '../shared/runtime/service-ports.ts';
import { acquireLease, attemptOf, drivesAttempt, renewLease, silenceMs } from '../shared/state/leases.ts';
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

  /** When this process last heartbeated each lease, so concurrent completions send one heartbeat, not one each. */
  const beaten = new Map<string, number>();

  /** Heartbeats the lease a completion works under when neither it nor this process did so lately. */
  async function heartbeatOnce(lease: Lease): Promise<void> {
    const now = clock.now().getTime();
    const id = `${lease.computation}/${lease.date}/${lease.token}`;
    const every = heartbeatEvery(settings);
    if (silenceMs(lease, clock.now()) <= every || now - (beaten.get(id) ?? 0) <= every) return;
    if (beaten.size > 10_000) beaten.clear();
    beaten.set(id, now);
    await renewLease(state.leases, lease, clock.now(), settings.ownerId);
  }

  /**
   * A completion of the attempt whose holder released its lease (it was
   * stopped, maybe while finalizing) while the computation still runs in
   * that run: takes the lease with a new token for the same attempt, so
   * the fan-out goes on now (its one-per-token steps, such as finalizing,
   * can run again) instead of after the lease goes stale and the sweep comes.
   */
  async function resumeReleased(event: BatchCompleted, lease: Lease | null): Promise<Lease | null> {
    if (lease === null || !lease.released || attemptOf(lease) !== event.attempt) return null;
    const current = await state.states.get(event.date, event.computation);
    if (current === null || current.runId !== event.runId || current.status !== 'running') return null;
    const taken = await acquireLease(
      state.leases,
      { computation: event.computation, date: event.date },
      settings.ownerId,
      clock.now(),
      (holder) => holder.released && holder.token === lease.token,
      event.attempt,
    );
    return taken.acquired ? taken.lease : null;
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
    const driving = drivesAttempt(lease, event.attempt) ? lease : await resumeReleased(event, lease);
    if (driving === null) {
      if (outcomes.announced(item)) return;
      // If the computation already finished in this run, say so again: the first announcement may have been lost.
      const done = await state.states.get(event.date, event.computation);
      if (done !== null && done.runId === event.runId && isFinal(done.status))
        await outcomes.announce(item, done.status);
      return;
    }
    await heartbeatOnce(driving);
    const fan: FanOut = { ...item, attempt: event.attempt, lease: driving };
    try {
      if (driving !== lease) {
        // Taken over from a holder that let go (SIGTERM): send the batches it claimed and may never have sent.
        const sent = await republishUnfinished(ports, fan);
        ports.log.warn(
          { runId: event.runId, date: event.date, computation: item.entry.name, republished: sent },
          `Took ${item.entry.name} on ${event.date} over from a holder that released it; going on from its batch plan`,
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
      await failOrRetry(parts, item, error, driving);
    }
  };
}
