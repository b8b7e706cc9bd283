import { boundedText } from './util/safe-text.ts';

/**
 * The few error classes of the system. Each one maps to a decision:
 *
 * - {@link UserError}: a user must fix something (config, computation code,
 *   warehouse data, a bad request). Shown as a message without a stack; CLI
 *   exit code 1, HTTP 400.
 * - {@link UsageError}: the command line itself is wrong. CLI exit code 2.
 * - {@link PoisonMessageError}: an event that can never be handled (invalid
 *   shape, unknown type, a run or state it does not match). It is logged and
 *   acknowledged, never retried.
 * - {@link VersionSkewError}: a worker runs other code than the batch was
 *   planned with. Not poison: the service answers 409 and Pub/Sub delivers
 *   the batch again, perhaps to an instance that has the code.
 * - {@link StaleLeaseError}: a write carried a lease token another executor
 *   has since replaced; the writer stops, the new holder goes on.
 *
 * All of them are {@link ComputeError}s with a stable `code`; code tells
 * them apart with `instanceof`, never by comparing message text.
 *
 * Anything else is treated as transient and may be retried, unless an
 * adapter marked it permanent ({@link markPermanent}): the warehouse
 * refused the query itself, and only a change by the user can mend it.
 */

/** One problem found while checking user input; many may be reported at once. */
export interface Problem {
  /** Stable machine-readable code, e.g. `CYCLE`, `UNKNOWN_DEPENDENCY`. */
  code: string;
  /** Human text that says where the problem is and what to do. */
  message: string;
  /** The computation concerned, when there is one. */
  computation?: string;
  /** The file concerned, when there is one. */
  file?: string;
}

/** The root of the system's own errors: each carries a stable machine-readable code. */
export abstract class ComputeError extends Error {
  abstract readonly code: string;
}

export class UserError extends ComputeError {
  readonly code: string;
  readonly problems: Problem[];

  constructor(code: string, message: string, options: { cause?: unknown; problems?: Problem[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.problems = options.problems ?? [{ code, message }];
  }
}

export class UsageError extends ComputeError {
  readonly code = 'USAGE';

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class PoisonMessageError extends ComputeError {
  readonly code: string;
  readonly messageId: string | undefined;

  constructor(code: string, message: string, options: { messageId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PoisonMessageError';
    this.code = code;
    this.messageId = options.messageId;
  }
}

/** A fenced write carried a lease token that is no longer current. */
export class StaleLeaseError extends ComputeError {
  readonly code = 'STALE_LEASE';

  readonly key: { computation: string; date: string };
  readonly token: number;
  readonly current: number | null;

  constructor(key: { computation: string; date: string }, token: number, current: number | null) {
    super(
      `Refused a write for ${key.computation} on ${key.date}: lease token ${token} is stale (current: ${current ?? 'none'}). Another executor took the lease over.`,
    );
    this.name = 'StaleLeaseError';
    this.key = { computation: key.computation, date: key.date };
    this.token = token;
    this.current = current;
  }
}

/** A write without a lease found the stored state changed since it was decided on (another run wrote it). */
export class StaleStateError extends ComputeError {
  readonly code = 'STALE_STATE';

  constructor(computation: string, date: string, expected: string | null, found: string | null) {
    super(
      `Refused a write for ${computation} on ${date}: its state changed since it was read (expected the one written ${expected ?? 'never'}, found one written ${found ?? 'never'}). Another run wrote it.`,
    );
    this.name = 'StaleStateError';
  }
}

/**
 * A delivery that must come back later, not a failure: the work it would
 * move on is in the hands of a holder that went quiet, and it can be taken
 * over only once that holder's lease is stale. Answered 503 (a warning, not
 * an error), so Pub/Sub redelivers it after its backoff.
 */
export class RetryLaterError extends ComputeError {
  readonly code = 'RETRY_LATER';

  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** The worker's code differs from the code the batch was planned with. */
export class VersionSkewError extends ComputeError {
  readonly code = 'VERSION_SKEW';

  constructor(computation: string, expected: string, actual: string) {
    super(
      `Version skew: batch of ${computation} was planned with code ${expected.slice(0, 12)}, this worker runs ${actual.slice(0, 12)}. Deploy the same code to every service; the batch is left for a worker that has it.`,
    );
    this.name = 'VersionSkewError';
  }

  /** The same error rebuilt from its text, on the far side of a thread boundary. */
  static fromMessage(message: string): VersionSkewError {
    const error = Object.create(VersionSkewError.prototype) as VersionSkewError;
    Object.assign(error, {
      message,
      name: 'VersionSkewError',
      code: 'VERSION_SKEW',
      stack: `VersionSkewError: ${message}`,
    });
    return error;
  }
}

/**
 * Text of any thrown value, for logs and stored error fields: bounded
 * (cut at 4,000 characters, saying the original length), and a
 * thrown non-Error says what it was (`throw null` is "null was thrown").
 */
export function errorText(error: unknown): string {
  return boundedText(rawErrorText(error));
}

function rawErrorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error === null || error === undefined) return `${String(error)} was thrown`;
  if (typeof error === 'number' || typeof error === 'boolean' || typeof error === 'bigint') return String(error);
  if (typeof error === 'symbol') return error.toString();
  try {
    return JSON.stringify(error) ?? Object.prototype.toString.call(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

const PERMANENT = Symbol.for('computation-system.permanent');

/**
 * Marks an error no retry can mend (a warehouse refusing a query: a column
 * gone since the plan was made, access denied). Adapters know their
 * warehouse's errors and mark them; services ask {@link isPermanent}, so no
 * service reads a warehouse's error text. Returns the same error.
 */
export function markPermanent<T>(error: T): T {
  if (typeof error === 'object' && error !== null) (error as Record<symbol, unknown>)[PERMANENT] = true;
  return error;
}

/** A user must fix something before this can succeed: a {@link UserError}, or an error an adapter marked. */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof UserError ||
    (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[PERMANENT] === true)
  );
}
