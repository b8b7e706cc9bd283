import type { IsoDate } from '../model/types.ts';
import type { RunRecord } from '../ports/state-store.ts';

/**
 * Every date a run works on, in the order they run: its repair window
 * first (oldest first), then the dates it was asked for.
 */
export function runDates(run: Pick<RunRecord, 'dates' | 'repairDates'>): IsoDate[] {
  return run.repairDates === undefined || run.repairDates.length === 0 ? run.dates : [...run.repairDates, ...run.dates];
}
