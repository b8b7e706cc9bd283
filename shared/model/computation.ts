import type { ComputationContext, LogLevel } from './types.ts';

/**
 * Where the runtime attaches its logger to a computation instance. A global
 * symbol, so a computation importing another copy of this package (the
 * built one, say) still talks to the runtime that loaded it.
 */
export const LOG_SINK: unique symbol = Symbol.for('computation-system.log-sink');

export type LogSink = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/**
 * Base class of every user computation. A subclass defines
 * `static getConfig(): ComputationConfig` (see config-schema.ts) and
 * `process(context)`.
 *
 * ```ts
 * export default class UserDailyActive extends Computation {
 *   static getConfig() {
 *     return { name: 'UserDailyActive', type: 'per-entity', requires: { user_logins: { mandatory: true } } };
 *   }
 *   async process(ctx) { return { logins: ctx.data.user_logins.length }; }
 * }
 * ```
 */
export abstract class Computation<Result = unknown> {
  declare [LOG_SINK]?: LogSink;

  /** Computes one result: per entity, or once for a global computation. Return null to store nothing. */
  abstract process(context: ComputationContext): Promise<Result | null> | Result | null;

  /**
   * Logs through the runtime's logger, tagged with run, date, computation
   * and entity. Use instead of console.log.
   */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const sink = this[LOG_SINK];
    if (sink !== undefined) {
      sink(level, message, fields);
      return;
    }
    process.stderr.write(`${JSON.stringify({ severity: level === 'WARN' ? 'WARNING' : level, message, ...fields })}\n`);
  }
}

/** A class as loaded from a user's file, before its config is checked. */
export interface ComputationClass {
  new (): Computation;
  readonly name: string;
  getConfig(): unknown;
}

/**
 * Whether a loaded export looks like a computation class. Checked by shape,
 * not `instanceof`, because user code may import a different copy of this
 * package than the one running it.
 */
export function isComputationClass(value: unknown): value is ComputationClass {
  if (typeof value !== 'function') return false;
  const candidate = value as { getConfig?: unknown; prototype?: { process?: unknown } };
  return typeof candidate.getConfig === 'function' && typeof candidate.prototype?.process === 'function';
}
