import type { Lease, LeaseKey, LeaseStore, LeaseToken } from '../ports/state-store.ts';
import { ownerIsDeadHere } from './owner.ts';

/**
 * The lease rules, once for every state adapter. A lease gives one
 * executor the right to drive one (computation, date); its token fences
 * writes (a newer holder has a larger token). A lease is free when it was
 * released, or when it had no heartbeat (or, before the first one, no
 * start) within the staleness time: its holder is presumed gone.
 */

/** The lease taken (and the one it replaced, if any), or the holder that kept it. */
export type AcquireResult =
  { acquired: true; lease: Lease; previous: Lease | null } | { acquired: false; holder: Lease };

/**
 * How long the holder has been silent: on the store's clock when the store
 * measured it (`silentMs`), else the reader's `now` against the last
 * heartbeat (or the start when none), which trusts both clocks.
 */
export function silenceMs(lease: Lease, now: Date): number {
  return lease.silentMs ?? now.getTime() - Date.parse(lease.heartbeatAt ?? lease.acquiredAt);
}

/** Whether a lease may be taken: released, or silent (no heartbeat, or start when none) for `staleMs`. */
export function leaseIsFree(lease: Lease, staleMs: number, now: Date): boolean {
  if (lease.released) return true;
  return silenceMs(lease, now) >= staleMs;
}

/** The lease as stored: without the silence a read measured. */
export function storedLease(lease: Lease): Lease {
  const { silentMs: _measured, ...stored } = lease;
  return stored;
}

/**
 * Why a lease's holder is gone (released, silent for `staleMs`, or its
 * process on this host dead), or null while it may be alive: the one rule
 * behind takeovers, the watchdog and `compute status`'s stale flag.
 */
export function holderGone(lease: Lease, staleMs: number, now: Date): string | null {
  if (lease.released) return 'lease released';
  if (leaseIsFree(lease, staleMs, now)) return 'lease stale (no heartbeat)';
  if (ownerIsDeadHere(lease.owner)) return 'holder process on this host is gone';
  return null;
}

/** Whether `lease` is still the one `token` proves, and not released. */
export function holdsLease(lease: Lease | null, token: LeaseToken): lease is Lease {
  return lease !== null && lease.token === token.token && !lease.released;
}

/** The attempt a lease drives; leases written before attempts were recorded drive their own token's. */
export function attemptOf(lease: Lease): number {
  return (lease as { attempt?: number }).attempt ?? lease.token;
}

/** Whether `lease` is live and drives fan-out `attempt`: batches and completions of any other attempt are late or superseded. */
export function drivesAttempt(lease: Lease | null, attempt: number): lease is Lease {
  return lease !== null && !lease.released && attemptOf(lease) === attempt;
}

/**
 * Takes the lease when there is none or `canTake(holder)` says the holder
 * may be replaced; the new lease's token is one more than the last one.
 * `attempt` keeps driving an older fan-out attempt (adopting its sealed
 * plan); by default the new token starts a new attempt.
 */
export async function acquireLease(
  leases: LeaseStore,
  key: LeaseKey,
  owner: string,
  now: Date,
  canTake: (holder: Lease) => boolean,
  attempt?: number,
): Promise<AcquireResult> {
  const { read, written } = await leases.change(key, (current) => {
    if (current !== null && !canTake(current)) return null;
    const token = (current?.token ?? 0) + 1;
    return {
      computation: key.computation,
      date: key.date,
      token,
      attempt: attempt ?? token,
      owner,
      acquiredAt: now.toISOString(),
      heartbeatAt: null,
      released: false,
    };
  });
  return written !== null ? { acquired: true, lease: written, previous: read } : { acquired: false, holder: read! };
}

/**
 * Records a heartbeat of `owner` under the lease; false when the token is
 * no longer the current one. A read and a heartbeat record, no transaction
 * on the lease (a heartbeat racing a takeover is kept under the old token,
 * where it counts for nothing).
 */
export async function renewLease(leases: LeaseStore, token: LeaseToken, now: Date, owner: string): Promise<boolean> {
  if (!holdsLease(await leases.get(token), token)) return false;
  await leases.beat(token, owner, now.toISOString());
  return true;
}

/** The later of two heartbeat times (ISO strings), either possibly null. */
export function laterBeat(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

/** Releases the lease if the token is still the current one. */
export async function releaseLease(leases: LeaseStore, token: LeaseToken): Promise<void> {
  await leases.change(token, (current) => (holdsLease(current, token) ? { ...current, released: true } : null));
}

/** Points the current lease at another fan-out attempt (a takeover adopting a sealed plan). */
export async function driveAttempt(leases: LeaseStore, token: LeaseToken, attempt: number): Promise<boolean> {
  const { written } = await leases.change(token, (current) =>
    holdsLease(current, token) ? { ...current, attempt } : null,
  );
  return written !== null;
}
