import type { LeaseStore, LeaseToken } from '../ports/state-store.ts';
import { releaseLease } from './leases.ts';

/**
 * The leases this process is working under right now (planning a fan-out,
 * finalizing, running a global computation). On SIGTERM the service
 * releases them, so the redelivery of the work it hands back takes the
 * lease at once instead of waiting for it to go stale and for the sweep.
 * Leases of fan-outs merely waiting on workers are not here: their holder
 * is not this process's handlers but the completions still to come.
 */
export class ActiveLeases {
  readonly #held = new Map<string, { lease: LeaseToken; uses: number }>();

  #id(lease: LeaseToken): string {
    return `${lease.computation}/${lease.date}/${lease.token}`;
  }

  add(lease: LeaseToken): void {
    const id = this.#id(lease);
    const held = this.#held.get(id);
    if (held === undefined) this.#held.set(id, { lease, uses: 1 });
    else held.uses++;
  }

  delete(lease: LeaseToken): void {
    const id = this.#id(lease);
    const held = this.#held.get(id);
    if (held !== undefined && --held.uses <= 0) this.#held.delete(id);
  }

  get size(): number {
    return this.#held.size;
  }

  /** Releases every lease still worked under (each only if its token is still current); returns how many were tried. */
  async releaseAll(leases: LeaseStore): Promise<number> {
    const held = [...this.#held.values()].map((h) => h.lease);
    this.#held.clear();
    await Promise.allSettled(held.map((lease) => releaseLease(leases, lease)));
    return held.length;
  }
}
