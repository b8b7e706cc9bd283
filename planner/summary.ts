import type { CheckOutcome } from '../shared/checks/run-checks.ts';
import { failedChecksLine } from '../shared/checks/summary-lines.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import { STATUS_ICONS as ICONS } from '../shared/model/statuses.ts';
import type { ComputationState, RunRecord, StateStore } from '../shared/ports/state-store.ts';

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
  /** The command that re-runs from the first date with a failure, when there is one. */
  resume: string | null;
}

/** The computations a run covers, in pass order. */
export function selectedNames(manifest: Manifest, run: Pick<RunRecord, 'computations'>): string[] {
  return manifest.computations
    .filter((entry) => run.computations === null || run.computations.includes(entry.name))
    .map((entry) => entry.name);
}

/** A computation that completed while some of its entities failed: its own icon, not a green check. */
export const PARTIAL_ICON = '⚠️';

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
  const ran = state.status === 'completed' || state.status === 'failed';
  const failedEntities = state.status === 'completed' ? (state.counts?.failed ?? 0) : 0;
  return {
    date,
    name,
    status: state.status,
    outcome:
      failedEntities > 0
        ? `completed with ${failedEntities} failed entit${failedEntities === 1 ? 'y' : 'ies'}`
        : state.status,
    icon: failedEntities > 0 ? PARTIAL_ICON : (ICONS[state.status] ?? ''),
    partial: failedEntities > 0,
    ran,
    resultHash: state.resultHash,
    durationMs: duration,
    // A skipped computation's counts are those of the run that computed it: not this run's work.
    entities: ran ? state.counts : null,
    bytesScanned: state.bytesScanned,
    detail: state.error ?? state.reason,
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
  for (const date of run.dates) {
    const states = new Map((await state.states.list(date)).map((s) => [s.computation, s]));
    for (const name of names) rows.push(row(date, name, states.get(name) ?? null, run.runId));
  }
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const failedDate = rows.find((r) => r.status === 'failed')?.date ?? null;
  const last = run.dates[run.dates.length - 1]!;
  const only = run.computations === null ? '' : ` ${run.computations.map((c) => `--computation ${c}`).join(' ')}`;
  return {
    runId: run.runId,
    status: failedDate === null ? 'completed' : 'failed',
    dates: run.dates,
    durationMs: now.getTime() - Date.parse(run.startedAt),
    counts,
    computations: rows,
    resume:
      failedDate === null
        ? null
        : `compute run --date ${failedDate}${failedDate === last ? '' : ` --to ${last}`}${only}`,
  };
}

/** How a row is tallied: its status, with completed-with-failures apart from completed. */
function kind(r: SummaryRow): string {
  return r.partial ? 'completed with failed entities' : r.status;
}

const COLOURS: Record<string, string> = {
  completed: '\x1b[32m',
  'completed with failed entities': '\x1b[33m',
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
  const lines = [
    `Execution Summary: run ${summary.runId} ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s (${[
      ...tallies,
    ]
      .map(([k, v]) => paint(k, `${v} ${k}`))
      .join(', ')})`,
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
    lines.push(
      `Entities failed in ${partial.length} computation${partial.length === 1 ? '' : 's'}: fix the code or data, then re-run them with --force, e.g. compute run --date ${first.date} --computation ${first.name} --force`,
    );
  }
  return lines.join('\n');
}
