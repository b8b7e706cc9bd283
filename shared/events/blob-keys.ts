import { PoisonMessageError } from '../errors.ts';
import { isCalendarDate } from '../model/iso-date.ts';
import type { IsoDate } from '../model/types.ts';
import { quoted } from '../util/safe-text.ts';
import { isRunId } from './run-id.ts';

// Blob keys of a run's batches, built and checked only from validated parts
// (a message names its context blob, so the check sits with the events).

/**
 * The folder of a computation-date's batch blobs in a run. Built only from
 * checked parts (a run id, a computation name, a calendar date), so no
 * value can reach another folder of the blob store or escape it.
 */
export function batchPrefix(runId: string, computation: string, date: IsoDate): string {
  if (!isRunId(runId) || !isBlobSegment(computation) || !isCalendarDate(date))
    throw new PoisonMessageError(
      'INVALID_BLOB_KEY',
      `Refusing a blob key from run id ${quoted(runId)}, computation ${quoted(computation)}, date ${quoted(date)}: each must be a checked name`,
    );
  return `runs/${runId}/${computation}/${date}`;
}

/** One folder name of a blob key: letters, digits, '.', '_' and '-', not '.' or '..'. */
function isBlobSegment(text: string): boolean {
  return /^[A-Za-z0-9._-]{1,200}$/.test(text) && text !== '.' && text !== '..';
}

/** Whether `name` is a blob of this batch's computation-date in its run (a message names its context blob). */
export function isBatchBlob(name: string, runId: string, computation: string, date: IsoDate): boolean {
  if (!isRunId(runId) || !isBlobSegment(computation) || !isCalendarDate(date)) return false;
  const rest = name.startsWith(`${batchPrefix(runId, computation, date)}/`)
    ? name.slice(batchPrefix(runId, computation, date).length + 1)
    : null;
  return rest !== null && rest.split('/').every(isBlobSegment);
}
