import type { ManifestEntry } from '../manifest/manifest.ts';
import type { WorkItem } from '../manifest/work-item.ts';
import type { IsoDate } from '../model/types.ts';
import type { Logger } from '../ports/logger.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { ResultStore } from '../ports/warehouse.ts';
import { isDue } from '../schedule/due.ts';
import { addDays } from '../model/dates.ts';
import { checksHash } from '../manifest/checks-hash.ts';
import { failedChecksText, runChecks, type CheckRecord } from './run-checks.ts';

/** What the checks of a computation-date came to. */
export interface Judgement {
  record: CheckRecord;
  /** The failed error checks, in words: the computation-date fails with it. Null when none failed. */
  error: string | null;
  /** The failed warn checks, in words: reported, nothing blocked. Null when none failed. */
  warning: string | null;
}

/** The log field Cloud Logging matches for a failed check (infra/terraform: the log-based metric). */
export const CHECK_FAILED_EVENT = 'check.failed';

/** The date before `date` on which the computation is due by its schedule (at most a year back), or null. */
function previousDueDate(entry: ManifestEntry, date: IsoDate): IsoDate | null {
  for (let back = 1; back <= 366; back++) {
    const candidate = addDays(date, -back);
    if (isDue(entry.config.schedule, candidate)) return candidate;
  }
  return null;
}

/**
 * Runs a computation's result checks over its stored results of one date,
 * streamed from the result store, and logs one structured line per failed
 * check (`event: "check.failed"`, with the check, its severity and a
 * sample of offending entities). Null when the computation has no checks.
 */
export async function judgeStoredResults(
  ports: { results: ResultStore; state: StateStore; log: Logger },
  item: WorkItem,
  resultHash: string,
): Promise<Judgement | null> {
  const { entry, date, runId } = item;
  const checks = entry.config.checks;
  if (checks.length === 0) return null;
  const previous = checks.some((check) => check.type === 'count') ? previousDueDate(entry, date) : null;
  const previousState = previous === null ? null : await ports.state.states.get(previous, entry.name);
  const previousCount =
    previousState !== null && ['completed', 'skipped'].includes(previousState.status)
      ? (previousState.counts?.stored ?? null)
      : null;
  const outcomes = await runChecks(checks, ports.results.stream(entry.name, date), previousCount);
  const log = ports.log.child({ runId, date, computation: entry.name });
  for (const outcome of outcomes.filter((o) => !o.passed)) {
    const fields = {
      event: CHECK_FAILED_EVENT,
      check: outcome.name,
      checkType: outcome.type,
      checkSeverity: outcome.severity,
      failed: outcome.failed,
      checked: outcome.checked,
      sample: outcome.sample,
    };
    const text = `Check '${outcome.name}' of ${entry.name} failed on ${date}: ${outcome.message}`;
    if (outcome.severity === 'error') log.error(fields, text);
    else log.warn(fields, text);
  }
  return {
    record: { hash: checksHash(checks), resultHash, outcomes },
    error: failedChecksText(outcomes, 'error'),
    warning: failedChecksText(outcomes, 'warn'),
  };
}
