import { errorText } from '../errors.ts';
import type { ManifestEntry } from '../manifest/manifest.ts';
import { LOG_SINK } from '../model/computation.ts';
import type { LogLevel } from '../model/types.ts';
import type { Logger } from '../ports/logger.ts';
import { keepFailedId, type EntityError } from '../ports/state-store.ts';
import type { StoredResult } from '../ports/warehouse.ts';
import type { BatchContext } from './batch-files.ts';
import { buildContext } from './computation-context.ts';
import { storableResult } from './json-value.ts';
import { seconds, withTimeLimit } from './time-limit.ts';
import { loadRules } from './rules.ts';

/** At most this many entity errors are kept per batch. */
export const ERROR_SAMPLE = 5;

export interface BatchOutcome {
  results: StoredResult[];
  errors: EntityError[];
  succeeded: number;
  failed: number;
  /** Every failed entity id, in batch order (absent when a whole batch failed before its entities were known). */
  failedIds?: string[];
}

/** Why a historical computation's entity is failed: it failed on the previous date its chain builds on. */
export function previousFailedText(computation: string, failedOn: string, date: string): string {
  return `not run: this entity failed on ${failedOn}, and its history builds on that date; repair from there: compute run --date ${failedOn} --to ${date} --computation ${computation}`;
}

/** `this.log` for a computation: levels mapped onto the logger, tagged by the child's bindings. */
export function logSinkFor(log: Logger) {
  return (level: LogLevel, message: string, extra?: Record<string, unknown>) => {
    const method =
      level === 'DEBUG'
        ? 'debug'
        : level === 'ERROR'
          ? 'error'
          : level === 'WARN' || level === 'WARNING'
            ? 'warn'
            : 'info';
    log[method](extra ?? {}, message);
  };
}

export interface BatchLimits {
  /** One entity's process() not settled after this long fails ("timed out after 300 s (entityTimeoutSeconds)"). */
  entityTimeoutMs?: number;
  /** Epoch ms after which entities not started yet fail, so the batch answers in time. */
  deadline?: number;
  now?: () => number;
  /** Called as each entity starts. */
  onEntity?: (entityId: string) => void;
  /**
   * Entities already failed by an earlier try of this batch (the thread or
   * process running it died or was stopped in them): recorded with this
   * error, not run again.
   */
  failed?: Readonly<Record<string, string>>;
}

/**
 * How long the entity starting at `start` may run: its own timeout, capped
 * by what is left of the batch's budget, with the text its failure carries.
 */
export function entityLimit(limits: BatchLimits, start: number): { ms: number; error: string } | undefined {
  const own = limits.entityTimeoutMs;
  const left = limits.deadline === undefined ? undefined : limits.deadline - start;
  if (left !== undefined && (own === undefined || left < own))
    return {
      ms: Math.max(0, left),
      error: 'timed out: the batch ran out of time (batchTimeoutSeconds) while this entity ran',
    };
  if (own === undefined) return undefined;
  return { ms: own, error: `timed out after ${seconds(own)} (entityTimeoutSeconds)` };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs process() for each entity of a batch. A throwing entity is recorded
 * with its error and the rest go on; null stores nothing. Results are
 * plain JSON (what is stored is what a dependent will read); a value JSON
 * cannot hold is that entity's error, naming its path.
 */
export async function runBatch(
  entry: ManifestEntry,
  context: BatchContext,
  log: Logger,
  only?: (entityId: string) => boolean,
  limits: BatchLimits = {},
): Promise<BatchOutcome> {
  const now = limits.now ?? Date.now;
  const rules = await loadRules(entry);
  const instance = new entry.Class();
  const perEntityDeps = Object.keys(context.entities[0]?.dependencies ?? {});
  const byEntity: Record<string, Record<string, unknown>> = {};
  for (const name of perEntityDeps)
    byEntity[name] = Object.fromEntries(context.entities.map((e) => [e.entityId, e.dependencies[name]]));
  const outcome: BatchOutcome = { results: [], errors: [], succeeded: 0, failed: 0, failedIds: [] };
  const failedChars = { used: 0 };
  for (const item of context.entities) {
    if (only !== undefined && !only(item.entityId)) continue;
    const entityLog = log.child({ entityId: item.entityId });
    instance[LOG_SINK] = logSinkFor(entityLog);
    limits.onEntity?.(item.entityId);
    try {
      if (limits.deadline !== undefined && now() > limits.deadline)
        throw new Error('not run: the batch ran out of time (batchTimeoutSeconds) before this entity started');
      const earlier = limits.failed?.[item.entityId];
      if (earlier !== undefined) throw new Error(earlier);
      if (item.previousFailed !== undefined)
        throw new Error(previousFailedText(entry.name, item.previousFailed, context.date));
      const start = now();
      const limit = entityLimit(limits, start);
      const running = instance.process(
        buildContext({
          computation: entry.name,
          date: context.date,
          entityId: item.entityId,
          data: item.data,
          rules,
          previousResult: item.previous,
          dependencies: entry.config.dependencies,
          ownDependencies: item.dependencies,
          globals: context.globals,
          byEntity,
        }),
      );
      // A process() that returned a value (not a promise) is done: no timer to arm, the clock judges it below.
      const result = !isThenable(running)
        ? running
        : limit === undefined
          ? await running
          : await withTimeLimit(Promise.resolve(running), limit.ms, () => {
              throw new Error(limit.error);
            });
      // A process() busy in synchronous code settles only after its loop, past any timer: judge it by the clock.
      if (limit !== undefined && now() - start > limit.ms) throw new Error(limit.error);
      const stored = storableResult(result);
      if ('error' in stored) throw new Error(stored.error);
      outcome.succeeded++;
      if (stored.value !== null) outcome.results.push({ entityId: item.entityId, result: stored.value });
    } catch (error) {
      outcome.failed++;
      keepFailedId(outcome.failedIds!, failedChars, item.entityId);
      const message = errorText(error);
      if (outcome.errors.length < ERROR_SAMPLE) outcome.errors.push({ entityId: item.entityId, error: message });
      entityLog.warn({ error: message }, `Worker failed on entity ${item.entityId}: ${message}`);
    }
  }
  return outcome;
}
