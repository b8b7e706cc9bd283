import type { HashComponents } from '../manifest/composite-hash.ts';
import type { IsoDate } from '../model/types.ts';
import type { StoredResult } from './warehouse.ts';
import type { CheckRecord } from '../checks/run-checks.ts';

/**
 * The state repository: what ran, with which hashes, who is running what,
 * and which batches finished. Four narrow ports, one adapter per backend
 * (embedded SQLite file, Firestore) implementing all four. Adapters do
 * reads, transactions and writes; the rules (what a new lease is, when a
 * fenced write may happen) live in the core: shared/state/leases.ts.
 */
export interface StateStore {
  states: ComputationStates;
  runs: RunStore;
  leases: LeaseStore;
  ledger: BatchLedger;
  /** What happened in each run to each computation-date: kept after later runs replace the state. */
  history: HistoryStore;
  close(): Promise<void>;
}

/**
 * Final statuses. `partial`: the run finished with some entities failed; the
 * results of the others are stored, but it is never up to date (the next run
 * of that date runs it again).
 */
export const FINAL_STATUSES = ['completed', 'partial', 'skipped', 'blocked', 'impossible', 'failed'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];
export type ComputationStatus = 'pending' | 'running' | FinalStatus;

/** Entity counts of one computation for one date. */
export interface EntityCounts {
  /** Entities planned (per-entity) or 1 (global). */
  planned: number;
  succeeded: number;
  failed: number;
  /** Results stored (a process() returning null stores none). */
  stored: number;
}

/** The state of one computation for one date. */
export interface ComputationState {
  computation: string;
  date: IsoDate;
  status: ComputationStatus;
  /** Run that wrote this state. */
  runId: string | null;
  compositeHash: string | null;
  /** What the composite hash was made of, so `analyze` can say what changed. */
  components: HashComponents | null;
  /** Hash of the stored results; dependents use it in their composite hash. */
  resultHash: string | null;
  codeHash: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /**
   * When the store wrote it, on the store's own clock (ms since the epoch):
   * set by the adapter on read, never by a writer. Compare it only with
   * other store-clock times (RunRecord.createdAtMs), never with a host's.
   */
  storedAtMs?: number;
  counts: EntityCounts | null;
  /** Failure text, or why it was blocked, impossible or skipped. */
  error: string | null;
  reason: string | null;
  /** Bytes the warehouse scanned for it, when known. */
  bytesScanned: number | null;
  /** When this state may be purged (ttlDays after it was written). */
  expiresAt: string;
  /**
   * Partial or failed per-entity runs: the ids of the entities that failed
   * (at most FAILED_IDS_CAP; fewer than counts.failed means the list was cut).
   * A historical computation's next date fails these entities instead of
   * starting them again from no previous result.
   */
  failedIds?: string[] | null;
  /** A bounded sample of the failed entities with their errors. */
  failures?: EntityError[] | null;
  /** Automatic (repair) tries of this composite hash, so a repair window stops after a few. */
  tries?: { compositeHash: string; count: number } | null;
  /** What its result checks found (shared/checks/); absent when it has none or none ran. */
  checks?: CheckRecord;
  /**
   * The hash components that differed from the state before this run
   * ('new' when none was stored), so a later reader can say why it ran.
   */
  changed?: string[] | null;
}

/**
 * At most this many failed entity ids, and this many characters of them,
 * are kept in a state and in one batch record (Firestore holds 1 MiB a
 * document). A list cut short is safe: a historical computation's next
 * date is then blocked instead of guessing which entities failed.
 */
export const FAILED_IDS_CAP = 5_000;
export const FAILED_IDS_CHARS = 200_000;

/** Adds `id` to a list of failed ids unless that would pass the caps; says whether it did. */
export function keepFailedId(ids: string[], chars: { used: number }, id: string): boolean {
  if (ids.length >= FAILED_IDS_CAP || chars.used + id.length > FAILED_IDS_CHARS) return false;
  ids.push(id);
  chars.used += id.length;
  return true;
}

export interface ComputationStates {
  get(date: IsoDate, computation: string): Promise<ComputationState | null>;
  /** Every state of a date, or of every date when omitted, ordered by date then name. */
  list(date?: IsoDate): Promise<ComputationState[]>;
  /**
   * Every state from `from` to `to` (both included), ordered by date then
   * name, in one call: one query, or with `computations`, a batched read of
   * just those computations' states (a page of the console's grid).
   */
  range(from: IsoDate, to: IsoDate, computations?: readonly string[]): Promise<ComputationState[]>;
  /**
   * Writes a state. With a lease token as `fence`, the write happens only
   * while that token is the current, unreleased one for (computation,
   * date) (the rule is holdsLease in shared/state/leases.ts); otherwise it
   * throws {@link StaleLeaseError}. With a {@link StateVersion} (a write
   * that holds no lease: a skip, a block), only while the stored state is
   * still the one the write was decided on; otherwise it throws
   * {@link StaleStateError}. Either way nothing is written then.
   */
  put(state: ComputationState, fence?: LeaseToken | StateVersion): Promise<void>;
  /** Deletes states whose expiry is before `now`; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

export type RunStatus = 'running' | 'completed' | 'failed';

export interface RunRecord {
  runId: string;
  dates: IsoDate[];
  /** What started it: 'cli', 'scheduler', 'manual' (a published message), 'api'. */
  trigger: string;
  /** Requested computations; null means all. */
  computations: string[] | null;
  force: boolean;
  status: RunStatus;
  startedAt: string;
  /** When the store created the record, on the store's own clock (ms): set by the adapter on read (see ComputationState.storedAtMs). */
  createdAtMs?: number;
  finishedAt: string | null;
  /** Per date, the pass in flight and the number of passes. */
  progress: Record<IsoDate, { pass: number; passes: number; done: boolean }>;
  /** Why a run failed before it started (e.g. it named an unknown computation). */
  error?: string | null;
  /**
   * The repair window: dates before the requested ones (they run first;
   * see runDates in shared/state/run-dates.ts) on which only partial, failed or blocked computation-dates, and
   * ones whose inputs or upstream results changed, run again.
   */
  repairDates?: IsoDate[];
  /** A run the scheduler started: its tries of one composite hash are counted and bounded (MAX_AUTOMATIC_TRIES). */
  automatic?: boolean;
  /** Computation-dates per final status, written when the run finishes. */
  counts?: Record<string, number>;
}

export interface RunStore {
  /** Creates the run unless one with its id exists; returns whether it did. */
  create(run: RunRecord): Promise<boolean>;
  get(runId: string): Promise<RunRecord | null>;
  update(runId: string, patch: Partial<Omit<RunRecord, 'runId'>>): Promise<void>;
  /** Newest first. */
  list(limit: number): Promise<RunRecord[]>;
  /**
   * Claims a one-time step (e.g. 'advance date D past pass 2') for a run.
   * Exactly one caller gets true, however many race or retry.
   */
  claimStep(runId: string, step: string): Promise<boolean>;
  /** Claimed steps of a run that start with `prefix`, sorted. */
  steps(runId: string, prefix: string): Promise<string[]>;
}

/**
 * One computation-date as one run left it: written beside its final state
 * (shared/state/state-writes.ts), so the services and the embedded mode
 * record the same, and kept `historyDays` after it was written.
 */
export interface HistoryEntry {
  runId: string;
  computation: string;
  date: IsoDate;
  /** The final status; `partial` when some entities failed. */
  status: FinalStatus;
  /** What the run decided: run it, skip it, or it was blocked or impossible. */
  decision: 'run' | 'skip' | 'blocked' | 'impossible';
  /** Why, in words (the decision's reasons, or the failure). */
  reason: string | null;
  error: string | null;
  /** The hash components that changed since the state before ('new' when there was none). */
  changed: string[];
  compositeHash: string | null;
  resultHash: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  counts: EntityCounts | null;
  /** At most HISTORY_FAILURES_CAP failed entities with their errors. */
  failures: EntityError[];
  /** What the warehouse said the reads would scan, when it said. */
  bytesEstimated: number | null;
  /** What the warehouse billed (BigQuery), when known. */
  bytesBilled: number | null;
  recordedAt: string;
  expiresAt: string;
}

/** Failed entities kept per history entry: a sample for people, not the list a chain needs. */
export const HISTORY_FAILURES_CAP = 20;

export interface HistoryStore {
  /**
   * Records an entry, to expire `historyDays` after `recordedAt` (the store's
   * setting); a second record of the same run, computation and date replaces the first.
   */
  record(entry: Omit<HistoryEntry, 'expiresAt'>): Promise<void>;
  /** Every entry of a run, by date then computation. */
  ofRun(runId: string): Promise<HistoryEntry[]>;
  /** The entries of one computation-date, newest first, at most `limit`. */
  of(computation: string, date: IsoDate, limit: number): Promise<HistoryEntry[]>;
  /** Deletes entries (and, where the store has no TTL policy, runs) past their expiry; returns how many entries. */
  purgeExpired(now: Date): Promise<number>;
}

/** Which (computation, date) a lease is for. */
export interface LeaseKey {
  computation: string;
  date: IsoDate;
}

/** Proof of holding a lease. Tokens only grow: a newer holder has a larger token. */
export interface LeaseToken extends LeaseKey {
  token: number;
}

export interface Lease extends LeaseToken {
  /** The fan-out attempt this lease drives: its own token for a new attempt, an older one when it adopted a sealed plan. */
  attempt: number;
  owner: string;
  acquiredAt: string;
  /** Last heartbeat; null until the first one, when the start time counts. */
  heartbeatAt: string | null;
  released: boolean;
  /**
   * How long the lease has gone without a take, change or heartbeat, on
   * the store's own clock (Firestore's commit and read times, SQLite's
   * time), as of the read that returned it: staleness is judged on it, not
   * on the reader's clock against the holder's, so skewed hosts never
   * mistake a live holder for a gone one. Set by reads only, never stored;
   * absent when the store cannot tell (a lease written before it was kept).
   */
  silentMs?: number;
}

/**
 * The lease records, one per (computation, date). Only reads and one
 * transaction here: what a new lease, a heartbeat or a release looks like
 * is decided once, in shared/state/leases.ts, for every adapter.
 */
export interface LeaseStore {
  get(key: LeaseKey): Promise<Lease | null>;
  /**
   * Reads the lease and writes what `decide` returns, in one transaction
   * (null: write nothing). `decide` may run more than once (Firestore retries
   * contended transactions), so it must have no side effects. Returns the
   * lease read and the lease written, if any.
   */
  change(
    key: LeaseKey,
    decide: (current: Lease | null) => Lease | null,
  ): Promise<{ read: Lease | null; written: Lease | null }>;
  /**
   * Records that `owner` is alive under lease `token` at `at`. Not a
   * transaction and not a write of the lease record: a heartbeat per
   * holder, so the executor's completions and every worker on a batch of
   * the computation never contend on one document. get() and change()
   * report the latest heartbeat of the current token as `heartbeatAt`;
   * heartbeats of an older token count for nothing.
   */
  beat(token: LeaseToken, owner: string, at: string): Promise<void>;
}

/** Which fan-out a batch belongs to: a computation on a date in a run, and the attempt (a fan-out redone after a takeover is a new attempt). */
export interface LedgerKey {
  runId: string;
  attempt: number;
  computation: string;
  date: IsoDate;
}

export interface PlannedBatch {
  batchId: string;
  entityCount: number;
  /**
   * Whether the batch is claimed for publishing. A claimed batch is
   * published by whoever claimed it, once (a takeover sends claimed,
   * unfinished batches again on purpose).
   */
  claimed: boolean;
}

/** The batches of a fan-out, recorded in groups as they are cut, then sealed. */
export interface BatchPlan extends LedgerKey {
  /** In batch order. */
  batches: PlannedBatch[];
  /** Whether every batch is planned (the fan-out finished reading). */
  sealed: boolean;
  /** Entities over all batches (so far, until sealed). */
  entityCount: number;
}

/** One entity's failure, kept as a sample for logs and status. */
export interface EntityError {
  entityId: string;
  error: string;
}

export interface BatchRecord extends LedgerKey {
  batchId: string;
  succeeded: number;
  failed: number;
  /** Results written (entities whose process() returned a value). */
  stored: number;
  /** At most a handful of the batch's entity errors. */
  errors: EntityError[];
  /** Every failed entity id of the batch (absent in records of older versions). */
  failedIds?: string[];
  /** Blob holding the batch's results, or INLINE_RESULTS when `results` holds them. */
  resultsBlob: string | null;
  /** The batch's results, in entity order, when small enough to travel in the record (no blob). */
  results?: StoredResult[];
  recordedAt: string;
}

export interface LedgerSummary {
  completed: number;
  succeeded: number;
  failed: number;
  stored: number;
}

export interface BatchLedger {
  /**
   * Records planned batches before any of them is published, in one write
   * where the store allows (each created only if absent, so a retry changes
   * nothing).
   */
  planBatches(key: LedgerKey, batches: PlannedBatch[]): Promise<void>;
  /**
   * Claims up to `limit` planned batches not yet claimed, in batch order,
   * and returns their ids. Racing callers never get the same batch.
   */
  claimNext(key: LedgerKey, limit: number): Promise<string[]>;
  /** How many planned batches are claimed. */
  claimedCount(key: LedgerKey): Promise<number>;
  /** Marks the plan complete with its entity count. */
  seal(key: LedgerKey, entityCount: number): Promise<void>;
  /** The plan so far, or null when nothing was planned. */
  getPlan(key: LedgerKey): Promise<BatchPlan | null>;
  /** Whether the plan is sealed: one read, where getPlan reads every planned batch. */
  isSealed(key: LedgerKey): Promise<boolean>;
  /** Records a batch's completion once; false when it was already recorded. */
  record(batch: BatchRecord): Promise<boolean>;
  /** Completed batches and their entity counts, summed from their records (no shared counter document). */
  summary(key: LedgerKey): Promise<LedgerSummary>;
  /** Every recorded batch, ordered by batch id. */
  batches(key: LedgerKey): Promise<BatchRecord[]>;
}

/** Thrown by a fenced write whose fence is stale; declared with the other errors. */
export { StaleLeaseError, StaleStateError } from '../errors.ts';

/** The stored state a write without a lease was decided on: its `updatedAt`, or null when none was stored. */
export interface StateVersion {
  updatedAt: string | null;
}

/** Whether a state write's fence is a lease token (else the version of the state it was decided on). */
export function isLeaseFence(fence: LeaseToken | StateVersion): fence is LeaseToken {
  return 'token' in fence;
}

/** How a storage key is made of a ledger key: run and attempt in one field, as stored since the first version. */
export function ledgerRunField(key: LedgerKey): string {
  return `${key.runId}#${key.attempt}`;
}
