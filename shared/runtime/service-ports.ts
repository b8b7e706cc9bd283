import type { Manifest } from '../manifest/manifest.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventBus } from '../ports/event-bus.ts';
import type { Logger } from '../ports/logger.ts';
import type { StateStore } from '../ports/state-store.ts';
import { EXECUTION_DEFAULTS, executionRuntimeValues, type ExecutionConfig } from '../project/execution-settings.ts';
import type { ShardedReads } from '../ports/sharded-reads.ts';
import type { ResultStore } from '../ports/warehouse.ts';
import type { ComputationReader } from '../warehouse/computation-reader.ts';
import { INLINE_BYTES } from '../batches/batch-files.ts';
import type { RunVersionScopes } from '../plan/input-versions.ts';
import type { ActiveLeases } from '../state/active-leases.ts';
import type { ContextHandOff } from '../batches/context-hand-off.ts';

/**
 * Tunables of the run. Those a project sets (its `execution` keys) are
 * declared, with unit and default, in shared/project/execution-settings.ts;
 * the defaults here say the same for reading.
 */
export interface RuntimeSettings {
  /** Identifies this process as a lease holder: host:pid:random. */
  ownerId: string;
  /** A lease with no heartbeat for this long is stale: its holder is presumed gone and the watchdog takes over. (Default: 5 minutes) */
  leaseStaleMs: number;
  /** Failed share of processed entities that trips the circuit breaker. (Default: 0.3) */
  breakerThreshold: number;
  /** Entities processed before the breaker may trip early; at the end the share is judged whatever the size. (Default: 100) */
  breakerMinEntities: number;
  /** Batches of one computation published and not yet completed. (Default: 16) */
  maxInFlightBatches: number;
  /** Computations of one pass run at once. (Default: 4) */
  computationConcurrency: number;
  /** One entity's process() that has not returned after this long fails ("timed out after 300 s (entityTimeoutSeconds)"). (Default: 300 s) */
  entityTimeoutMs: number;
  /** A computation still running this long after it started is failed by the watchdog. (Default: 3600 s) */
  computationTimeoutMs: number;
  /**
   * The same for a global computation, which runs inside one pass.ready
   * request: when the service's request timeout is known and
   * computationTimeoutSeconds is not set, the request's budget. (Default: computationTimeoutMs)
   */
  globalComputationTimeoutMs: number;
  /**
   * How long work held inside one request may take on this service: its
   * request timeout (COMPUTE_REQUEST_TIMEOUT_SECONDS, which the Terraform
   * module sets) less {@link REQUEST_MARGIN_MS}; null when no request
   * timeout is known (the CLI, a service run by hand). (Default: null)
   */
  requestBudgetMs: number | null;
  /**
   * A batch's budget from the delivery's arrival: every entity's time limit
   * is capped by what is left of it, and entities not started within it
   * fail, so the batch answers before Pub/Sub's 600 s push deadline (and the
   * service's request timeout) with room to record and answer. (Default:
   * 540 s, or the request budget when smaller)
   */
  batchTimeoutMs: number;
  /** On SIGTERM, requests in flight get this long to finish before they are answered for redelivery. (Default: 8 s, under Cloud Run's 10 s) */
  shutdownGraceMs: number;
  /**
   * Batch contexts up to this size also travel in their batch.ready
   * message, sparing the worker a blob read; 0 sends names only. (Default:
   * 32 KiB; the embedded runtime, whose blobs are local files and whose bus
   * keeps every event, sets 0)
   */
  inlineContextBytes: number;
}

/**
 * The defaults: the project's `execution` settings as EXECUTION_SETTINGS
 * declares them, plus what no config key sets.
 */
export const DEFAULT_SETTINGS: Omit<RuntimeSettings, 'ownerId'> = {
  ...EXECUTION_DEFAULTS,
  globalComputationTimeoutMs: EXECUTION_DEFAULTS.computationTimeoutMs,
  requestBudgetMs: null,
  inlineContextBytes: INLINE_BYTES,
};

/** What a request keeps for itself after its work: storing results, recording the batch, publishing, answering. */
export const REQUEST_MARGIN_MS = 30_000;

/** Pub/Sub's longest push deadline (the ack deadline caps a push request at 600 s). */
export const PUSH_DEADLINE_MS = 600_000;

/** How often a lease holder heartbeats: a fifth of the staleness, so one lost heartbeat never makes a live holder stale. */
export function heartbeatEvery(settings: Pick<RuntimeSettings, 'leaseStaleMs'>): number {
  return Math.max(200, Math.floor(settings.leaseStaleMs / 5));
}

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
  /**
   * Sharded reads (BigQuery with a scratch dataset configured): large
   * per-entity windows are read by the workers, shard by shard, instead of
   * through the executor. (Default: absent, every read goes through the executor)
   */
  shards?: ShardedReads;
  /**
   * Input-version lookups shared by everything one process does for a run
   * (the planner's repair scan and the executor's decisions), so a run
   * costs one version query per table window, or on BigQuery one metadata
   * query per dataset. (Default: each user keeps its own)
   */
  versionScopes?: RunVersionScopes;
  /** The leases this process works under now, released on SIGTERM (a service's executor sets it). (Default: none kept) */
  activeLeases?: ActiveLeases;
  /** Batch contexts handed to worker threads in memory (the embedded runtime with threads). (Default: the blob store) */
  handOff?: ContextHandOff;
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

/**
 * Runtime settings from a project's `execution` config over the defaults
 * (both from EXECUTION_SETTINGS), fitted to the service's request timeout
 * when it has one.
 */
export function settingsFor(
  execution: ExecutionConfig,
  ownerId: string,
  service: { requestTimeoutSeconds?: number | undefined } = {},
): RuntimeSettings {
  const values = executionRuntimeValues(execution);
  const budget =
    service.requestTimeoutSeconds === undefined ? null : service.requestTimeoutSeconds * 1000 - REQUEST_MARGIN_MS;
  // Defaults that fit the request: a batch's budget (which caps every entity's time
  // limit) ends inside it; a global computation gets the request.
  const fits = (fallback: number, room: number | null) =>
    room === null || room <= 0 ? fallback : Math.min(fallback, room);
  return {
    ownerId,
    ...values,
    globalComputationTimeoutMs:
      execution.computationTimeoutSeconds === undefined
        ? fits(values.computationTimeoutMs, budget)
        : values.computationTimeoutMs,
    requestBudgetMs: budget,
    batchTimeoutMs:
      execution.batchTimeoutSeconds === undefined ? fits(values.batchTimeoutMs, budget) : values.batchTimeoutMs,
    inlineContextBytes: DEFAULT_SETTINGS.inlineContextBytes,
  };
}

/** Whether a computation that started at `startedAt` has run past its computation timeout (never, with no start). */
export function pastComputationTimeout(
  settings: RuntimeSettings,
  config: Parameters<typeof timeoutsFor>[1],
  startedAt: string | null,
  now: Date,
): boolean {
  const started = startedAt === null ? NaN : Date.parse(startedAt);
  return now.getTime() - started > timeoutsFor(settings, config).computationMs;
}

/** A computation's own timeouts (getConfig's `timeouts`) over the project's. */
export function timeoutsFor(
  settings: RuntimeSettings,
  config: {
    type?: 'global' | 'per-entity' | undefined;
    timeouts?: { entitySeconds?: number | undefined; computationSeconds?: number | undefined } | undefined;
  },
): { entityMs: number; computationMs: number } {
  const project = config.type === 'global' ? settings.globalComputationTimeoutMs : settings.computationTimeoutMs;
  return {
    entityMs: (config.timeouts?.entitySeconds ?? settings.entityTimeoutMs / 1000) * 1000,
    computationMs: (config.timeouts?.computationSeconds ?? project / 1000) * 1000,
  };
}
