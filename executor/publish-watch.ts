import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import type { LedgerKey } from '../shared/ports/state-store.ts';
import { drivesAttempt } from '../shared/state/leases.ts';

/**
 * A batch publish can be lost without an error: the claim is recorded, the
 * publish call answers, and the message never reaches a worker. Nothing
 * else then happens for that batch (no worker heartbeats it, no completion
 * comes), so its fan-out would wait for the sweep's takeover. The holder
 * that published it watches it instead: a batch it sent that has no
 * completion record `lostPublishBoundMs` later is published again, while
 * this process still holds the lease with that token. A worker that got
 * the first copy after all answers within its budget, so the bound only
 * passes for a lost (or very late) copy; a repeat is handled once.
 *
 * The watch is a timer in the holder's process: a holder that exits or is
 * paused leaves the batch to the takeover and the sweep, as before; on
 * Cloud Run it needs CPU between requests (always-allocated CPU), else it
 * fires at the next request.
 */

/** Room past a batch's budget for its worker to record it and answer (as the push deadline check). */
const ANSWER_MARGIN_MS = 30_000;

/** How long after its publish a batch without a completion record is published again by its holder. */
export function lostPublishBoundMs(settings: Pick<ServicePorts['settings'], 'batchTimeoutMs'>): number {
  return settings.batchTimeoutMs + ANSWER_MARGIN_MS;
}

interface Watch {
  /** Batch id -> when this process last published it (performance.now()). */
  sent: Map<string, number>;
  timer: NodeJS.Timeout;
}

/** The watches of each service's ports: one per fan-out and lease token. */
const watchesOf = new WeakMap<object, Map<string, Watch>>();

export interface Watched {
  key: LedgerKey;
  token: number;
  /** Publishes the given batches again. */
  republish(ids: string[]): Promise<void>;
}

/** Starts or extends the watch over batches this holder just published. */
export function watchPublished(
  ports: Pick<ServicePorts, 'state' | 'settings' | 'log'>,
  fan: Watched,
  ids: readonly string[],
): void {
  if (ids.length === 0) return;
  const watches = watchesOf.get(ports) ?? new Map<string, Watch>();
  watchesOf.set(ports, watches);
  const id = `${fan.key.runId}/${fan.key.computation}/${fan.key.date}/${fan.key.attempt}/${fan.token}`;
  const now = performance.now();
  const existing = watches.get(id);
  if (existing !== undefined) {
    for (const batchId of ids) existing.sent.set(batchId, now);
    return;
  }
  const bound = lostPublishBoundMs(ports.settings);
  const watch: Watch = {
    sent: new Map(ids.map((batchId) => [batchId, now])),
    timer: setInterval(
      () => {
        check(ports, fan, watch, bound).then(
          (goOn) => {
            if (!goOn) stop();
          },
          (error: unknown) => {
            // The sweep remains behind it: a watch that cannot read the state gives up quietly.
            ports.log.debug({ error: String(error) }, 'Publish watch stopped');
            stop();
          },
        );
      },
      Math.max(1000, Math.floor(bound / 5)),
    ),
  };
  // A service stays up by its server; a watch alone never keeps a finished process alive.
  watch.timer.unref();
  const stop = () => {
    clearInterval(watch.timer);
    if (watches.get(id) === watch) watches.delete(id);
  };
  watches.set(id, watch);
}

/** One look: republishes overdue batches; false once there is nothing left to watch. */
async function check(
  ports: Pick<ServicePorts, 'state' | 'log'>,
  fan: Watched,
  watch: Watch,
  bound: number,
): Promise<boolean> {
  const lease = await ports.state.leases.get({ computation: fan.key.computation, date: fan.key.date });
  if (!drivesAttempt(lease, fan.key.attempt) || lease.token !== fan.token) return false;
  for (const record of await ports.state.ledger.batches(fan.key)) watch.sent.delete(record.batchId);
  if (watch.sent.size === 0) return false;
  const now = performance.now();
  const overdue = [...watch.sent].filter(([, at]) => now - at >= bound).map(([batchId]) => batchId);
  if (overdue.length === 0) return true;
  await fan.republish(overdue);
  for (const batchId of overdue) watch.sent.set(batchId, performance.now());
  ports.log.warn(
    { runId: fan.key.runId, computation: fan.key.computation, date: fan.key.date, republished: overdue },
    `${fan.key.computation} on ${fan.key.date}: published again ${overdue.length} batch(es) with no completion ${Math.round(bound / 1000)} s after their publish (lost on the way)`,
  );
  return true;
}
