import { printable } from '../util/safe-text.ts';
import { runDates } from '../state/run-dates.ts';
import { isPartial } from '../plan/decide.ts';
import type { CheckOutcome } from '../checks/run-checks.ts';
import { failedChecksLine } from '../checks/summary-lines.ts';
import type { Manifest } from '../manifest/manifest.ts';
import { STATUS_ICONS as ICONS } from '../model/statuses.ts';
import type { ComputationState, RunRecord, StateStore } from '../ports/state-store.ts';

export interface SummaryRow {
  date: string;
  name: string;
  status: string;
  /**
   * What happened, in words: the status, or for a computation that completed
   * with some entities failing, 'completed with N failed entities'.
   */
  outcome: string;
  icon: string;
  /** Completed while some of its entities failed: tallied apart, and a run with one exits 1. */
  partial: boolean;
  /** Whether it ran in this run (a skipped or blocked one did not). */
  ran: boolean;
  resultHash: string | null;
  durationMs: number | null;
  entities: { planned: number; succeeded: number; failed: number; stored: number } | null;
  bytesScanned: number | null;
  detail: string | null;
  /** Its result checks' outcomes, when it has checks and they ran (issue 22: shared/checks/). */
  checks?: CheckOutcome[];
}

export interface ExecutionSummary {
  runId: string;
  status: 'completed' | 'failed';
  dates: string[];
  durationMs: number;
  counts: Record<string, number>;
  computations: SummaryRow[];
  /** The command that re-runs from the first date with a failed or blocked computation, when there is one. */
  resume: string | null;
  /** The command that forces again every computation-date with failed entities, when there is one. (Default: none) */
  rerun?: string | null;
}

/**
 * `compute run` over dates `from` to `to` for `names` (null: all), as one
 * command a person can paste: one comma list, so every name is covered.
 */
export function runCommandText(from: string, to: string, names: readonly string[] | null, force = false): string {
  const range = from === to ? '' : ` --to ${to}`;
  const only = names === null ? '' : ` --computation ${names.join(',')}`;
  return `compute run --date ${from}${range}${only}${force ? ' --force' : ''}`;
}

/** Whether a row needs nothing more: it completed with every entity, or was up to date. */
export function settled(r: Pick<SummaryRow, 'status'>): boolean {
  return r.status === 'completed' || r.status === 'skipped';
}

/** The computations a run covers, in pass order. */
export function selectedNames(manifest: Manifest, run: Pick<RunRecord, 'computations'>): string[] {
  return manifest.computations
    .filter((entry) => run.computations === null || run.computations.includes(entry.name))
    .map((entry) => entry.name);
}

/** A computation that completed while some of its entities failed: its own icon, not a green check. */
export const PARTIAL_ICON = ICONS.partial!;

function row(date: string, name: string, state: ComputationState | null, runId: string): SummaryRow {
  if (state === null || state.runId !== runId) {
    return {
      date,
      name,
      status: 'blocked',
      outcome: 'blocked',
      icon: ICONS.blocked!,
      partial: false,
      ran: false,
      resultHash: null,
      durationMs: null,
      entities: null,
      bytesScanned: null,
      detail: state === null ? 'not run' : `held by run ${state.runId}`,
    };
  }
  const duration =
    state.startedAt !== null && state.finishedAt !== null
      ? Date.parse(state.finishedAt) - Date.parse(state.startedAt)
      : null;
  const ran = state.status === 'completed' || state.status === 'partial' || state.status === 'failed';
  const partial = isPartial(state);
  const failedEntities = partial ? (state.counts?.failed ?? 0) : 0;
  return {
    date,
    name,
    status: partial ? 'partial' : state.status,
    outcome: partial ? `partial: ${failedEntities} of ${state.counts?.planned ?? 0} entities failed` : state.status,
    icon: partial ? PARTIAL_ICON : (ICONS[state.status] ?? ''),
    partial,
    ran,
    resultHash: state.resultHash,
    durationMs: duration,
    // A skipped computation's counts are those of the run that computed it: not this run's work.
    entities: ran ? state.counts : null,
    bytesScanned: state.bytesScanned,
    // Stored texts hold user values (entity ids, thrown messages): no control characters reach a terminal or a log line.
    detail: state.error === null && state.reason === null ? null : printable(state.error ?? state.reason ?? ''),
    ...(state.checks === undefined ? {} : { checks: state.checks.outcomes }),
  };
}

/** Collects the outcome of every computation of a run, for the Execution Summary log and the CLI. */
export async function executionSummary(
  manifest: Manifest,
  state: StateStore,
  run: RunRecord,
  now: Date,
): Promise<ExecutionSummary> {
  const names = selectedNames(manifest, run);
  const rows: SummaryRow[] = [];
  for (const date of runDates(run)) {
    const states = new Map((await state.states.list(date)).map((s) => [s.computation, s]));
    // On the repair window's dates only what this run ran again is its work.
    const repair = run.repairDates?.includes(date) === true;
    for (const name of names) {
      const stored = states.get(name) ?? null;
      if (repair && stored?.runId !== run.runId) continue;
      rows.push(row(date, name, stored, run.runId));
    }
  }
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  // Where a run would start again: the first date with work not done (failed, partial, blocked or impossible).
  const resumeDate = rows.find((r) => !settled(r))?.date ?? null;
  const last = run.dates[run.dates.length - 1]!;
  const partial = rows.filter((r) => r.partial);
  const partialNames = names.filter((name) => partial.some((r) => r.name === name));
  return {
    runId: run.runId,
    // Completed only when everything it covered completed or was up to date (DESIGN 5b).
    status: rows.every(settled) ? 'completed' : 'failed',
    dates: run.dates,
    durationMs: now.getTime() - Date.parse(run.startedAt),
    counts,
    computations: rows,
    resume: resumeDate === null ? null : runCommandText(resumeDate, last, run.computations),
    rerun: partial.length === 0 ? null : runCommandText(partial[0]!.date, partial.at(-1)!.date, partialNames),
  };
}

/** How a row is tallied: its status (partial for completed-with-failures). */
function kind(r: SummaryRow): string {
  return r.partial ? 'partial' : r.status;
}

const COLOURS: Record<string, string> = {
  completed: '\x1b[32m',
  partial: '\x1b[33m',
  failed: '\x1b[31m',
  blocked: '\x1b[33m',
  impossible: '\x1b[35m',
};

/**
 * The summary as lines a person reads: one line per computation and date
 * for a single date; for a range, one line per computation with its
 * outcomes counted, plus every date that did not simply complete or skip.
 * Entities count only where the computation ran in this run, so the counts
 * add up: succeeded + failed = planned. `colour` paints each outcome.
 */
export function formatSummary(summary: ExecutionSummary, options: { colour?: boolean } = {}): string {
  const paint = (k: string, text: string) =>
    options.colour === true && COLOURS[k] !== undefined ? `${COLOURS[k]}${text}\x1b[0m` : text;
  const tallies = new Map<string, number>();
  for (const r of summary.computations) tallies.set(kind(r), (tallies.get(kind(r)) ?? 0) + 1);
  const head = `Execution Summary: run ${printable(summary.runId)} ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s`;
  const lines = [
    summary.computations.length === 0
      ? `${head}: nothing was due on ${summary.dates.length === 1 ? summary.dates[0] : `${summary.dates[0]} to ${summary.dates.at(-1)}`}, so nothing ran`
      : `${head} (${[...tallies].map(([k, v]) => paint(k, `${v} ${k}`)).join(', ')})`,
  ];
  const entityText = (rows: SummaryRow[]): string => {
    const ran = rows.filter((r) => r.entities !== null);
    if (ran.length === 0) return '';
    const planned = ran.reduce((sum, r) => sum + r.entities!.planned, 0);
    const failed = ran.reduce((sum, r) => sum + r.entities!.failed, 0);
    const succeeded = ran.reduce((sum, r) => sum + r.entities!.succeeded, 0);
    return `  ${succeeded}/${planned} entities${failed > 0 ? `, ${failed} failed` : ''}`;
  };
  if (summary.dates.length > 1) {
    const names = [...new Set(summary.computations.map((r) => r.name))];
    for (const name of names) {
      const rows = summary.computations.filter((r) => r.name === name);
      const tally = Object.entries(Object.groupBy(rows, kind)).map(([k, list]) =>
        paint(k, `${list![0]!.icon} ${list!.length} ${k}`),
      );
      lines.push(`  ${name.padEnd(26)} ${tally.join(', ')}${entityText(rows)}`);
    }
    for (const r of summary.computations.filter((x) => x.outcome !== 'completed' && x.status !== 'skipped')) {
      lines.push(
        paint(kind(r), `  ${r.icon} ${r.date} ${r.name}: ${r.outcome}${r.detail === null ? '' : ` - ${r.detail}`}`),
      );
    }
  } else {
    for (const r of summary.computations) {
      const duration = r.durationMs === null ? '' : `  ${(r.durationMs / 1000).toFixed(2)} s`;
      lines.push(
        `  ${r.icon} ${r.date} ${r.name.padEnd(26)} ${paint(kind(r), r.outcome.padEnd(10))}${duration}${entityText([r])}${r.detail === null ? '' : `  ${r.detail}`}`,
      );
    }
  }
  // Issue 22: the result checks that failed, warn ones included (shared/checks/summary-lines.ts).
  lines.push(...failedChecksLine(summary.computations));
  if (summary.resume !== null) lines.push(`Resume with: ${summary.resume}`);
  const partial = summary.computations.filter((r) => r.partial);
  if (partial.length > 0) {
    const first = partial[0]!;
    const rerun = summary.rerun ?? runCommandText(first.date, first.date, [first.name]);
    lines.push(
      `Entities failed in ${partial.length} computation-date${partial.length === 1 ? '' : 's'} (partial: never counted as up to date): fix the code or data, then run again, without --force, and the failed entities run again: ${rerun}`,
    );
  }
  return lines.join('\n');
}
