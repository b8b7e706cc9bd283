import { randomBytes } from 'node:crypto';

/** Whether `text` may be a run id: 1 to 128 of [A-Za-z0-9._-], not '.' or '..' (it names state keys, blob folders and log fields; DESIGN.md 5b). */
export function isRunId(text: string): boolean {
  return /^[A-Za-z0-9._-]{1,128}$/.test(text) && text !== '.' && text !== '..';
}

/** Where a run request came from, as far as its run id goes. */
export type RunOrigin =
  /** A runs-topic message (Cloud Scheduler's included), with Pub/Sub's message id. */
  | { via: 'message'; messageId?: string | undefined }
  /** `compute run` (and the console, which starts one). */
  | { via: 'cli' }
  /** The management API's `run` action. */
  | { via: 'api' };

/** What of a checked run request its id depends on. */
export interface RunIdInputs {
  runId: string | null;
  schedule: string | null;
  dates: readonly string[];
}

/**
 * The run id of a request, one rule for every source:
 * - a request that names its own `runId` (a run message): that one, so a
 *   request published twice starts one run;
 * - a scheduled message: `scheduled-HHMM-DATE`, from its schedule and the
 *   date it resolved to, not the message id: Cloud Scheduler delivers at
 *   least once and a publisher's retry mints a new message id, and either
 *   way one schedule on one date starts one run (DESIGN.md 5b);
 * - another message: `run-MESSAGEID`, so a redelivery starts nothing new;
 * - the CLI: `run-YYYYMMDDTHHMMSS-xxxxxx` (UTC, 6 random hex digits), the
 *   API the same with `run-api-`: each call is a new run. A run started by
 *   hand with --schedule gets one too, so it is not taken for the
 *   scheduler's run of that date.
 */
export function runIdFor(request: RunIdInputs, origin: RunOrigin, now: Date = new Date()): string {
  if (request.runId !== null) return request.runId;
  if (origin.via === 'message') {
    if (request.schedule !== null && request.dates.length === 1)
      return `scheduled-${request.schedule.replace(':', '')}-${request.dates[0]}`;
    return `run-${origin.messageId ?? now.getTime().toString(36)}`;
  }
  const stamp = now.toISOString().replace(/[-:.]/g, '').slice(0, 15);
  return `${origin.via === 'api' ? 'run-api' : 'run'}-${stamp}-${randomBytes(3).toString('hex')}`;
}
