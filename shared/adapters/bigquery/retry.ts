import pRetry from 'p-retry';
import { markPermanent } from '../../errors.ts';

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

/** Of those, the ones only the user can mend (the query, access, the budget): later tries of the run fail too. */
const REFUSED = new Set([
  'invalidQuery',
  'invalid',
  'notFound',
  'accessDenied',
  'bytesBilledLimitExceeded',
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

/** What the user can do about a failure no retry fixed, by BigQuery's reason. */
const ADVICE: Record<string, string> = {
  bytesBilledLimitExceeded:
    'Raise warehouse.maximumBytesBilled in compute.config.json, or read less: a shorter window, fewer columns, ' +
    'a source table partitioned on its dateField.',
  accessDenied:
    'Grant the service account roles/bigquery.jobUser on the project, roles/bigquery.dataViewer on the source ' +
    'dataset and roles/bigquery.dataEditor on the results dataset.',
  notFound:
    'Check warehouse.projectId, dataset, resultsDataset and location in compute.config.json: BigQuery looks ' +
    'for datasets and jobs in that project and location.',
  billingNotEnabled: 'Enable billing on the project in the Google Cloud console.',
  quotaExceeded: 'Wait for the quota to reset, or ask for more in the Google Cloud console (IAM & Admin > Quotas).',
};

/**
 * The error with what to do appended to its message (the error itself, so
 * its reasons and code still drive decisions): a fix for a failure the user
 * must act on, or "run again later" when retries ran out.
 */
function withAdvice(error: unknown, attempts: number): unknown {
  if (!(error instanceof Error)) return error;
  const reason = reasonsOf(error).find((r) => ADVICE[r] !== undefined);
  const advice =
    reason !== undefined
      ? ADVICE[reason]!
      : isRetryable(error)
        ? `BigQuery failed ${attempts} times in a row; run again later.`
        : null;
  if (advice !== null && !error.message.includes(advice)) error.message = `${error.message} ${advice}`;
  return error;
}

/**
 * Runs an idempotent BigQuery operation, retrying failures a retry can fix
 * (backendError, rate limits, an interrupted upload) with exponential
 * backoff, never those it cannot (invalidQuery, accessDenied, ...). Only
 * operations whose repetition leaves the same state may be passed here;
 * each caller says why its operation is one. A failure that remains says
 * what to do about it.
 */
export async function withRetries<T>(operation: () => Promise<T>, settings: RetrySettings = {}): Promise<T> {
  let attempts = 0;
  try {
    return await pRetry(
      () => {
        attempts++;
        return operation();
      },
      {
        retries: settings.retries ?? 5,
        minTimeout: settings.minTimeout ?? 1000,
        maxTimeout: settings.maxTimeout ?? 32_000,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => isRetryable(error),
      },
    );
  } catch (error) {
    if (reasonsOf(error).some((reason) => REFUSED.has(reason))) markPermanent(error);
    throw withAdvice(error, attempts);
  }
}
