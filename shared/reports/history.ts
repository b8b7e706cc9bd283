import { isPartial, shownStatus } from '../plan/decide.ts';
import type { Manifest } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { ComputationState, RunRecord, StateStore } from '../ports/state-store.ts';
import { dateRange } from '../model/dates.ts';

/** The statuses a run's computation-dates are counted by (DESIGN 5b `compute runs`). */
export const COUNTED_STATUSES = ['completed', 'skipped', 'partial', 'failed', 'blocked', 'impossible'] as const;
export type RunCounts = Record<(typeof COUNTED_STATUSES)[number], number>;

export interface RunRow {
  runId: string;
  status: RunRecord['status'];
  /** What started it: cli, repair (`compute run --repair`), scheduler, manual (a published message), api. */
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  dates: IsoDate[];
  computations: string[] | null;
  force: boolean;
  counts: RunCounts;
  error: string | null;
  /** Per date, the pass in flight: how far a running run has come. */
  progress: RunRecord['progress'];
}

function emptyCounts(): RunCounts {
  return { completed: 0, skipped: 0, partial: 0, failed: 0, blocked: 0, impossible: 0 };
}

/** A run as `compute runs` and the console show it; a running run's counts come from its history so far. */
export async function runRow(store: StateStore, run: RunRecord): Promise<RunRow> {
  const counts = emptyCounts();
  const known = run.counts ?? null;
  if (known !== null) {
    for (const status of COUNTED_STATUSES) counts[status] = known[status] ?? 0;
  } else {
    for (const entry of await store.history.ofRun(run.runId)) counts[entry.status]++;
  }
  return {
    runId: run.runId,
    status: run.status,
    trigger: run.trigger,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    dates: run.dates,
    computations: run.computations,
    force: run.force,
    counts,
    error: run.error ?? null,
    progress: run.progress,
  };
}

/** The most recent runs, newest first: one list call, plus one history read per run that has no counts yet. */
export async function runsReport(store: StateStore, limit: number): Promise<{ runs: RunRow[] }> {
  const runs = await store.runs.list(limit);
  return { runs: await Promise.all(runs.map((run) => runRow(store, run))) };
}

export interface GridCell {
  name: string;
  date: IsoDate;
  /** The status word: a final status, running, or pending where nothing is stored. */
  status: string;
  resultHash: string | null;
  runId: string | null;
  updatedAt: string | null;
  error: string | null;
  reason: string | null;
}

export interface GridReport {
  from: IsoDate;
  to: IsoDate;
  dates: IsoDate[];
  /** Every computation on every date of the range, by computation (manifest order) then date. */
  computations: GridCell[];
}

function cell(name: string, date: IsoDate, state: ComputationState | undefined): GridCell {
  return {
    name,
    date,
    status: state === undefined ? 'pending' : shownStatus(state),
    resultHash: state?.resultHash ?? null,
    runId: state?.runId ?? null,
    updatedAt: state?.updatedAt ?? null,
    error: state?.error ?? null,
    reason: state?.reason ?? (state !== undefined && isPartial(state) ? `${state.counts?.failed ?? 0} entities failed` : null),
  };
}

/**
 * Every computation x date of a range (or only the computations named, in
 * manifest order), from one range read of the state store.
 */
export async function gridReport(
  manifest: Manifest,
  store: StateStore,
  from: IsoDate,
  to: IsoDate,
  only?: readonly string[],
): Promise<GridReport> {
  const states = await store.states.range(from, to, only);
  const shown = only === undefined ? null : new Set(only);
  const byKey = new Map(states.map((s) => [`${s.computation}\u0000${s.date}`, s]));
  const dates = dateRange(from, to);
  const computations: GridCell[] = [];
  for (const entry of manifest.computations)
    if (shown === null || shown.has(entry.name))
      for (const date of dates) computations.push(cell(entry.name, date, byKey.get(`${entry.name}\u0000${date}`)));
  return { from, to, dates, computations };
}
