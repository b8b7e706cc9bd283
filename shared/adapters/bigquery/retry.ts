import pRetry from 'p-retry';

/** How hard a BigQuery operation is retried. */
export interface RetrySettings {
  /** Retries after the first attempt. (Default: 5) */
  retries?: number;
  /** Milliseconds before the first retry; each next waits twice as long, with jitter. (Default: 1000) */
  minTimeout?: number;
  /** Longest wait between two attempts, in milliseconds. (Default: 32000) */
  maxTimeout?: number;
}

/** Reasons a later attempt can succeed: BigQuery's own transient failures and its rate limits. */
const TRANSIENT = new Set([
  'backendError',
  'internalError',
  'jobBackendError',
  'jobInternalError',
  // Also "Exceeded rate limits: too many table update operations for this table".
  'rateLimitExceeded',
  'jobRateLimitExceeded',
]);

/** Reasons no retry can fix: the query, the permissions or the budget must change first. */
const PERMANENT = new Set([
  'invalidQuery',
  'invalid',
  'accessDenied',
  'notFound',
  'duplicate',
  'bytesBilledLimitExceeded',
  'quotaExceeded',
  'responseTooLarge',
  'resourcesExceeded',
  'billingNotEnabled',
  'billingTierLimitExceeded',
]);

/** Connection failures, e.g. a load upload cut half-way. */
const NETWORK = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** The error reasons BigQuery gave (ApiError.errors[].reason), for retry decisions and messages. */
export function reasonsOf(error: unknown): string[] {
  const errors = (error as { errors?: Array<{ reason?: unknown }> } | null)?.errors;
  return Array.isArray(errors)
    ? errors.map((e) => (typeof e.reason === 'string' ? e.reason : '')).filter((r) => r !== '')
    : [];
}

/** Whether retrying the whole operation can succeed where this attempt failed. */
export function isRetryable(error: unknown): boolean {
  const reasons = reasonsOf(error);
  if (reasons.some((reason) => PERMANENT.has(reason))) return false;
  if (reasons.some((reason) => TRANSIENT.has(reason))) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return [500, 502, 503, 504].includes(code);
  if (typeof code === 'string' && NETWORK.has(code)) return true;
  const text = error instanceof Error ? `${error.message} ${String((error.cause as Error | undefined)?.message)}` : '';
  return /socket hang up|other side closed|ECONNRESET|network|terminated/i.test(text);
}

/**
 * Runs an idempotent BigQuery operation, retrying failures a retry can fix
 * (backendError, rate limits, an interrupted upload) with exponential
 * backoff, never those it cannot (invalidQuery, accessDenied, ...). Only
 * operations whose repetition leaves the same state may be passed here;
 * each caller says why its operation is one.
 */
export function withRetries<T>(operation: () => Promise<T>, settings: RetrySettings = {}): Promise<T> {
  return pRetry(operation, {
    retries: settings.retries ?? 5,
    minTimeout: settings.minTimeout ?? 1000,
    maxTimeout: settings.maxTimeout ?? 32_000,
    factor: 2,
    randomize: true,
    shouldRetry: ({ error }) => isRetryable(error),
  });
}
