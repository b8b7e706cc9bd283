import { batchPrefix } from '../events/blob-keys.ts';
import type { IsoDate, Row } from '../model/types.ts';
import type { ShardSpec } from '../ports/sharded-reads.ts';
import type { EntityError, LedgerKey } from '../ports/state-store.ts';
import type { StoredResult } from '../ports/warehouse.ts';

/** Everything a worker needs for one batch, written to the blob store by the executor. */
export interface BatchContext {
  v: 1;
  runId: string;
  computation: string;
  date: IsoDate;
  batchId: string;
  codeHash: string;
  /** Results of global dependencies, by name. */
  globals: Record<string, unknown>;
  /**
   * A shard batch (sharded reads): `entities` is empty in the message and
   * the worker reads them from the warehouse itself (see ShardedReads).
   */
  shard?: ShardSpec;
  entities: Array<{
    entityId: string;
    /** Required tables' rows for this entity. */
    data: Record<string, Row[]>;
    /** Per-entity dependencies' results for this entity (null: none). */
    dependencies: Record<string, unknown>;
    /** Historical computations: own result for the previous date. */
    previous: unknown;
    /**
     * Historical computations: the previous date on which this entity failed.
     * It then fails here too, naming that date, instead of starting again from null.
     */
    previousFailed?: IsoDate;
  }>;
}

/** What a worker writes back: the batch's results in entity order, and its failures. */
export interface BatchResults {
  v: 1;
  batchId: string;
  results: StoredResult[];
  errors: EntityError[];
  succeeded: number;
  failed: number;
}

/**
 * Payloads up to this size travel inline (a batch context in its
 * batch.ready message, a batch's results in its ledger record); larger
 * ones go to the blob store and the message or record carries the name
 * (claim check). Contexts are written to the blob store either way, so a
 * takeover can send any batch again; the embedded runtime with worker
 * threads holds them in memory instead (see ContextHandOff).
 */
export const INLINE_BYTES = 32 * 1024;

/**
 * The results blob name of a ledger record that holds its results itself.
 * Not null: an earlier version, which knows only blobs, then fails loudly
 * (no such blob) instead of finalizing without those results.
 */
export const INLINE_RESULTS = 'inline';

/** Zero-padded so batch ids sort in entity order. */
export function batchId(index: number): string {
  return `b${String(index).padStart(6, '0')}`;
}

export function contextBlobName(
  runId: string,
  computation: string,
  date: IsoDate,
  attempt: number,
  id: string,
): string {
  return `${attemptPrefix(runId, computation, date, attempt)}${id}.context.json`;
}

/** The prefix of every context blob of one fan-out attempt. */
export function attemptPrefix(runId: string, computation: string, date: IsoDate, attempt: number): string {
  return `${batchPrefix(runId, computation, date)}/a${attempt}/`;
}

/** The ledger of one fan-out attempt of a computation in a run. */
export function ledgerKey(runId: string, computation: string, date: IsoDate, attempt: number): LedgerKey {
  return { runId, attempt, computation, date };
}

/** A fresh name per attempt, so a duplicate delivery never overwrites results already counted. */
export function resultsBlobName(runId: string, computation: string, date: IsoDate, id: string): string {
  return `${batchPrefix(runId, computation, date)}/${id}.results.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.json`;
}
