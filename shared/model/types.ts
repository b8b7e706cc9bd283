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
