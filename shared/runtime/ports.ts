import type { Manifest } from '../manifest/manifest.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventBus } from '../ports/event-bus.ts';
import type { Logger } from '../ports/logger.ts';
import { DEFAULT_LEASE_TTL_MS, type StateStore } from '../ports/state-store.ts';
import type { ResultStore } from '../ports/warehouse.ts';
import type { ComputationReader } from '../warehouse/computation-reader.ts';

/** Tunables of the run, with their defaults in DEFAULT_SETTINGS. */
export interface RuntimeSettings {
  /** Identifies this process as a lease holder: host:pid:random. */
  ownerId: string;
  /** A lease with no heartbeat for this long may be taken over. (Default: 1 hour) */
  leaseTtlMs: number;
  /** Failed share of processed entities that trips the circuit breaker. (Default: 0.3) */
  breakerThreshold: number;
  /** Entities processed before the breaker may trip. (Default: 100) */
  breakerMinEntities: number;
  /** Batches of one computation published and not yet completed. (Default: 16) */
  maxInFlightBatches: number;
  /** Computations of one pass run at once. (Default: 4) */
  computationConcurrency: number;
}

export const DEFAULT_SETTINGS: Omit<RuntimeSettings, 'ownerId'> = {
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
  breakerThreshold: 0.3,
  breakerMinEntities: 100,
  maxInFlightBatches: 16,
  computationConcurrency: 4,
};

/** Everything a service handler may touch. Built by a composition root. */
export interface ServicePorts {
  manifest: Manifest;
  state: StateStore;
  results: ResultStore;
  reader: ComputationReader;
  blobs: BlobStore;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  settings: RuntimeSettings;
}

/** Runs `work` over items with at most `limit` at once. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/** Runtime settings from a project's `execution` config over the defaults. */
export function settingsFor(
  execution: {
    leaseTtlSeconds?: number | undefined;
    breakerThreshold?: number | undefined;
    breakerMinEntities?: number | undefined;
    maxInFlightBatches?: number | undefined;
    computationConcurrency?: number | undefined;
  },
  ownerId: string,
): RuntimeSettings {
  return {
    ownerId,
    leaseTtlMs:
      execution.leaseTtlSeconds === undefined ? DEFAULT_SETTINGS.leaseTtlMs : execution.leaseTtlSeconds * 1000,
    breakerThreshold: execution.breakerThreshold ?? DEFAULT_SETTINGS.breakerThreshold,
    breakerMinEntities: execution.breakerMinEntities ?? DEFAULT_SETTINGS.breakerMinEntities,
    maxInFlightBatches: execution.maxInFlightBatches ?? DEFAULT_SETTINGS.maxInFlightBatches,
    computationConcurrency: execution.computationConcurrency ?? DEFAULT_SETTINGS.computationConcurrency,
  };
}
