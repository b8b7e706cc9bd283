import type { Lease, LeaseKey } from '../shared/ports/state-store.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import { ownerIsDeadHere } from '../shared/runtime/owner.ts';

export type LeaseOutcome = { lease: Lease } | { holder: Lease };

/**
 * Takes the lease on (computation, date): free, released or stale leases
 * are taken; a live one held by a process on this host that has died is
 * taken over at once (a killed local run must not wait an hour).
 */
export async function takeLease(ports: ServicePorts, key: LeaseKey): Promise<LeaseOutcome> {
  const { state, settings, clock } = ports;
  const first = await state.leases.acquire(key, settings.ownerId, settings.leaseTtlMs, clock.now());
  if (first.acquired) return { lease: first.lease };
  if (!ownerIsDeadHere(first.holder.owner)) return { holder: first.holder };
  ports.log.warn(
    { computation: key.computation, date: key.date, deadOwner: first.holder.owner },
    'Taking over the lease of a process that died',
  );
  const second = await state.leases.acquire(key, settings.ownerId, 0, clock.now());
  return second.acquired ? { lease: second.lease } : { holder: second.holder };
}

/** Renews a lease every quarter of its time to live while `work` runs. */
export async function withHeartbeat<T>(ports: ServicePorts, lease: Lease, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(
    () => {
      ports.state.leases
        .renew(lease, ports.clock.now())
        .catch((error: unknown) => ports.log.warn({ error: String(error) }, 'Lease heartbeat failed'));
    },
    Math.max(1000, ports.settings.leaseTtlMs / 4),
  );
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
