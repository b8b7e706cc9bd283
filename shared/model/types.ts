/**
 * Terms used across the system.
 *
 * - computation: a user class extending {@link Computation} with a static
 *   `getConfig()` and a `process(context)` method. Global computations run
 *   once per date; per-entity ones run once per entity per date.
 * - entity: the thing a per-entity computation is about (a user, an
 *   account), named by the value of the entity column of its input tables.
 * - manifest: every computation of a project, checked (names, dependencies,
 *   cycles), ordered into passes and hashed.
 * - pass: a wave of computations whose dependencies all ran in earlier
 *   passes. Pass 0 has no dependencies.
 * - run: one execution of the manifest (or part of it) for a date or range.
 * - batch: a slice of at most `batchSize` entities of one per-entity
 *   computation, processed by one worker call.
 * - code hash: hash of a computation's code with comments and formatting
 *   removed, including the local helper modules it imports.
 * - composite hash: hash of everything a result depends on (code, epoch,
 *   layers, rules, dependency result hashes, the previous day's result for
 *   historical computations). Equal composite hash means the stored result
 *   is still right, so the computation is skipped.
 * - result hash: hash of a computation's stored output for a date. Equal
 *   output gives an equal hash, so dependents skip (early cutoff).
 * - lease: a time-limited claim on running one (computation, date), with a
 *   fencing token so a stale holder cannot write.
 * - fan-out: the executor cutting a per-entity computation's entities into
 *   batches and publishing one `batch.ready` event per batch.
 * - attempt: one fan-out of a (computation, date) in a run. A fan-out cut
 *   short by a crash is redone by the new lease holder as a new attempt;
 *   completions of an older attempt are ignored.
 * - ledger: the record of one attempt's batches: the plan (which batches
 *   exist) and one record per completed batch, so a redelivered completion
 *   counts once and the counts are summed, never incremented.
 * - seal: marking an attempt's plan complete (every batch cut); until it is
 *   sealed, finishing the last known batch does not finish the computation.
 * - step: a one-time action of a run, named by a key (`pass/DATE/P` opens
 *   pass P of a date, `breaker/DATE/C/ATTEMPT` trips a breaker, `run-done`
 *   ends the run; every kind of key is built and read in
 *   shared/state/steps.ts); a claim on it is won by exactly one caller
 *   however many race or retry.
 * - claim: taking a step (or a lease) with a write that only one caller can
 *   win; the loser does nothing.
 * - breaker: the circuit breaker that fails a fan-out early once the failed
 *   share of processed entities passes `breakerThreshold` (after
 *   `breakerMinEntities`), instead of running every remaining entity.
 * - sweep: the watchdog pass (`compute sweep`, a scheduled message) that
 *   finds runs and leases whose holder stopped heartbeating and drives
 *   them on.
 */

/** A calendar date as `YYYY-MM-DD`. */
export type IsoDate = string;

/** One row of a warehouse table, with portable values (see DESIGN.md section 5). */
export type Row = Record<string, unknown>;

export type ComputationType = 'per-entity' | 'global';

/** The entity id under which a global computation's result is stored. */
export const GLOBAL_ENTITY = '_global';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'WARNING' | 'ERROR';

/** What `process(context)` receives. */
export interface ComputationContext {
  /** The date being computed, `YYYY-MM-DD`. */
  readonly date: IsoDate;
  /** The entity being computed; `'_global'` in a global computation. */
  readonly entityId: string;
  /**
   * Rows of each required table. Per-entity: that entity's rows (always an
   * array, possibly empty). Global: every row in the window.
   */
  readonly data: Readonly<Record<string, Row[]>>;
  /**
   * A dependency's result. In a per-entity computation: for the same entity
   * (or the global result when the dependency is global); with `entityId`,
   * that entity's; `'_global'` names a global result. In a global
   * computation, a per-entity dependency gives all results keyed by entity.
   */
  getDependency<T = unknown>(name: string, entityId?: string): T | null;
  /** Exports of each rule module the computation lists in `rules`. */
  readonly rules: Readonly<Record<string, Record<string, unknown>>>;
  /** Historical computations: own result for the previous date, else null. */
  readonly previousResult: unknown;
}
