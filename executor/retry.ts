import { errorText, isPermanent } from '../shared/errors.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import type { Lease } from '../shared/ports/state-store.ts';
import { acquireLease, attemptOf, releaseLease } from '../shared/state/leases.ts';
import { claimStep } from '../shared/state/steps.ts';
import { takeLease } from './lease.ts';
import { committedOutcomeOf } from './outcomes.ts';
import { isFinal, logFor, type ExecutorParts } from './parts.ts';

/** Tries of one computation in one run before an error that keeps coming back fails it. */
const MAX_TRIES = 3;

/**
 * After an error while a computation ran: rethrows it (so the event is
 * redelivered) while tries are left and a retry can help, else fails the
 * computation with the error and announces it, so the run goes on. A
 * retry after an error under a held lease gets a fresh token, so its
 * one-per-token steps (finalization) can run again.
 */
export async function failOrRetry(parts: ExecutorParts, item: WorkItem, error: unknown, held?: Lease): Promise<void> {
  const { ports, outcomes } = parts;
  const { state, settings, clock } = ports;
  const { runId, entry, date } = item;
  const log = logFor(ports, item);
  const text = errorText(error);
  const permanent = isPermanent(error);
  const tries = permanent ? 1 : await countTry(parts, item);
  const key = { computation: entry.name, date };
  if (!permanent && tries < MAX_TRIES) {
    log.warn({ error: text, tries }, `${entry.name} on ${date}: ${text} (try ${tries} of ${MAX_TRIES}; retrying)`);
    if (held !== undefined)
      await acquireLease(
        state.leases,
        key,
        settings.ownerId,
        clock.now(),
        (holder) => holder.token === held.token,
        attemptOf(held),
      );
    throw error;
  }
  const taken = held !== undefined ? { acquired: true as const, lease: held } : await takeLease(ports, key);
  if (!taken.acquired) {
    log.warn({ holder: taken.holder.owner }, `${entry.name} on ${date} failed here; its holder goes on`);
    return;
  }
  const current = await state.states.get(date, entry.name);
  if (current !== null && current.runId === runId && isFinal(current.status)) {
    if (held === undefined) await releaseLease(state.leases, taken.lease);
    return outcomes.announce(item, current.status);
  }
  const done = committedOutcomeOf(error);
  if (done !== undefined && current?.runId === runId) {
    // Its results were committed before the state write failed: the state says what they are, not `failed`.
    log.warn(
      { error: text, tries },
      `${entry.name} on ${date}: its results were stored but recording them failed (${text}); recording them from the committed results`,
    );
    return outcomes.finishWith(item, taken.lease, done.running, done.outcome);
  }
  await outcomes.finish(item, taken.lease, {
    status: 'failed',
    error: tries > 1 ? `${text} (after ${tries} tries)` : text,
    resultHash: null,
  });
}

/** Counts one more try of a computation in a run (1, 2, ...), across processes; at most MAX_TRIES. */
async function countTry(parts: ExecutorParts, { runId, date, entry }: WorkItem): Promise<number> {
  const runs = parts.ports.state.runs;
  for (let n = 1; n < MAX_TRIES; n++)
    if (await claimStep(runs, runId, { kind: 'try', date, computation: entry.name, n })) return n;
  return MAX_TRIES;
}
