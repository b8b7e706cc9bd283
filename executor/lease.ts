import type { Lease, LeaseKey } from '../shared/ports/state-store.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { acquireLease, holderGone, type AcquireResult } from '../shared/state/leases.ts';

/** Why a live-looking holder may still be replaced. */
export interface TakeoverReasons {
  /** The holder's owner id, when the sender knows that process is idle (the embedded run loop after its bus went quiet). */
  reclaim?: string | undefined;
  /** The holder runs other code (a rolling deploy): the new code supersedes it. */
  supersede?: boolean;
  /** The computation ran past its timeout: it is failed whoever holds it. */
  timedOut?: boolean;
}

/** Why a holder may be replaced, or null when it is live and must be left alone. */
export function takeoverReason(
  ports: Pick<ServicePorts, 'settings'>,
  holder: Lease,
  now: Date,
  reasons: TakeoverReasons = {},
): string | null {
  const gone = holderGone(holder, ports.settings.leaseStaleMs, now);
  if (gone !== null) return gone;
  if (reasons.reclaim !== undefined && holder.owner === reasons.reclaim) return 'its owner is idle';
  if (reasons.supersede === true) return 'it runs other code';
  if (reasons.timedOut === true) return 'the computation timed out';
  return null;
}

/**
 * Takes the lease on (computation, date): a free lease, or one whose
 * holder may be replaced (see takeoverReason). A live holder keeps it.
 */
export async function takeLease(
  ports: ServicePorts,
  key: LeaseKey,
  reasons: TakeoverReasons = {},
): Promise<AcquireResult> {
  const now = ports.clock.now();
  const taken = await acquireLease(
    ports.state.leases,
    key,
    ports.settings.ownerId,
    now,
    (holder) => takeoverReason(ports, holder, now, reasons) !== null,
  );
  if (taken.acquired && taken.previous !== null && !taken.previous.released) {
    ports.log.warn(
      {
        computation: key.computation,
        date: key.date,
        previousOwner: taken.previous.owner,
        reason: takeoverReason(ports, taken.previous, now, reasons),
      },
      `Took the lease of ${key.computation} on ${key.date} over from ${taken.previous.owner}`,
    );
  }
  return taken;
}
