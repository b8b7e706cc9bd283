import type { Manifest } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { ComputationState, StateStore } from '../ports/state-store.ts';
import type { VersionScope } from '../ports/warehouse.ts';
import { inputVersionsFor } from './input-versions.ts';
import { isDue } from '../schedule/due.ts';
import type { ComputationReader } from '../warehouse/computation-reader.ts';
import { addDays, dateRange, daysBeforeOrFirst } from '../model/dates.ts';
import { decide, isComplete, previousDate, shownStatus, type Decision, type DependencyView } from './decide.ts';

/**
 * The repair window (DESIGN 5b): the dates before a scheduled run's date
 * are looked at again. On those dates a computation runs again only when
 * something went wrong or came late: it is partial, failed or blocked, or
 * the rows it reads, its dependencies' results or (historical) its previous
 * date's result changed. A date that never ran, or whose only change is its
 * own code, epoch, layers or rules, is left to a backfill (`compute run
 * --date D --to D2`): a scheduled run repairs, it does not backfill.
 */
export function repairReason(decision: Decision, stored: ComputationState | null): string | null {
  if (decision.decision !== 'run' || stored === null) return null;
  if (!isComplete(stored)) return `it is ${shownStatus(stored)}`;
  const late = decision.changed.filter(
    (c) => c.startsWith('input:') || c.startsWith('dependency:') || c === 'previous',
  );
  return late.length > 0 ? `${late.join(', ')} changed` : null;
}

/**
 * The repair window of a run over `dates`: the `days` dates before the
 * first one, oldest first, none before 0001-01-01.
 */
export function repairWindow(dates: readonly IsoDate[], days: number): IsoDate[] {
  const first = dates[0];
  if (first === undefined || days <= 0) return [];
  // Never before the first date of the calendar: the window of a date in year 1 is shorter.
  const from = daysBeforeOrFirst(first, days);
  return from >= first ? [] : dateRange(from, addDays(first, -1));
}

/** One computation-date the repair window runs again, and why. */
export interface RepairItem {
  date: IsoDate;
  name: string;
  reason: string;
}

/**
 * What the repair window would run again on each of `dates` (oldest
 * first), for the computations `names`: one state listing per date, the
 * input versions of each computation-date (sharing `scope`, so on BigQuery
 * the window costs one metadata query per dataset and no scan), and the
 * decisions made in memory, dates in order and passes in order, so a
 * repair upstream (or on an earlier date of a historical chain) is seen
 * downstream. The executor decides again when it gets there; this tells
 * the planner which dates have anything to do, and `analyze` what a
 * repair would do.
 */
export async function scanRepairWindow(
  ports: { manifest: Manifest; state: StateStore; reader: ComputationReader },
  dates: readonly IsoDate[],
  names: readonly string[],
  scope: VersionScope,
): Promise<RepairItem[]> {
  const { manifest, state, reader } = ports;
  const wanted = new Set(names);
  const entries = manifest.computations.filter((e) => wanted.has(e.name));
  const statesByDate = new Map<IsoDate, Map<string, ComputationState>>();
  const will = new Set<string>();
  const items: RepairItem[] = [];
  const statesOf = async (date: IsoDate) => {
    let states = statesByDate.get(date);
    if (states === undefined) {
      states = new Map((await state.states.list(date)).map((s) => [s.computation, s]));
      statesByDate.set(date, states);
    }
    return states;
  };
  for (const date of dates) {
    const states = await statesOf(date);
    const due = entries.filter((e) => isDue(e.config.schedule, date));
    // Input versions of the whole date at once: lookups sharing the scope share their queries.
    const inputs = await Promise.all(due.map((e) => inputVersionsFor(reader, e, date, scope)));
    for (const [i, entry] of due.entries()) {
      const stored = states.get(entry.name) ?? null;
      if (stored === null) continue;
      const before = entry.config.isHistorical ? previousDate(entry, date) : null;
      if (before !== null && will.has(`${before}/${entry.name}`)) {
        // Its previous date runs again first: whatever it is now (blocked on it, built on its old result), it follows.
        will.add(`${date}/${entry.name}`);
        items.push({ date, name: entry.name, reason: `its previous date ${before} runs again first` });
        continue;
      }
      const previous = before === null ? null : ((await statesOf(before)).get(entry.name) ?? null);
      const dependency = (name: string): DependencyView =>
        will.has(`${date}/${name}`) ? { kind: 'will-run' } : { kind: 'final', state: states.get(name) ?? null };
      const decision = decide({
        manifest,
        entry,
        date,
        force: false,
        stored,
        previous,
        ...(inputs[i] === undefined ? {} : { inputs: inputs[i] }),
        dependency,
      });
      const reason = repairReason(decision, stored);
      if (reason === null) continue;
      will.add(`${date}/${entry.name}`);
      items.push({ date, name: entry.name, reason });
    }
  }
  return items;
}
