import type { Manifest } from '../shared/manifest/manifest.ts';
import { STATUS_ICONS as ICONS } from '../shared/model/statuses.ts';
import type { ComputationState, RunRecord, StateStore } from '../shared/ports/state-store.ts';

export interface SummaryRow {
  date: string;
  name: string;
  status: string;
  icon: string;
  resultHash: string | null;
  durationMs: number | null;
  entities: { planned: number; succeeded: number; failed: number; stored: number } | null;
  bytesScanned: number | null;
  detail: string | null;
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

function row(date: string, name: string, state: ComputationState | null, runId: string): SummaryRow {
  if (state === null || state.runId !== runId) {
    return {
      date,
      name,
      status: 'blocked',
      icon: ICONS.blocked!,
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
  return {
    date,
    name,
    status: state.status,
    icon: ICONS[state.status] ?? '',
    resultHash: state.resultHash,
    durationMs: duration,
    entities: state.counts,
    bytesScanned: state.bytesScanned,
    detail: state.error ?? state.reason,
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

/**
 * The summary as lines a person reads: one line per computation and date
 * for a single date; for a range, one line per computation with its
 * statuses counted, plus every date that did not complete or skip.
 */
export function formatSummary(summary: ExecutionSummary): string {
  const lines = [
    `Execution Summary: run ${summary.runId} ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s (${Object.entries(
      summary.counts,
    )
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')})`,
  ];
  if (summary.dates.length > 1) {
    const names = [...new Set(summary.computations.map((r) => r.name))];
    for (const name of names) {
      const rows = summary.computations.filter((r) => r.name === name);
      const tally = Object.entries(Object.groupBy(rows, (r) => r.status)).map(
        ([status, list]) => `${ICONS[status] ?? ''} ${list!.length} ${status}`,
      );
      const entities = rows.reduce((sum, r) => sum + (r.entities?.succeeded ?? 0), 0);
      lines.push(`  ${name.padEnd(26)} ${tally.join(', ')}${entities > 0 ? `  (${entities} entities processed)` : ''}`);
    }
    for (const r of summary.computations.filter((x) => x.status !== 'completed' && x.status !== 'skipped')) {
      lines.push(`  ${r.icon} ${r.date} ${r.name}: ${r.status}${r.detail === null ? '' : ` - ${r.detail}`}`);
    }
    if (summary.resume !== null) lines.push(`Resume with: ${summary.resume}`);
    return lines.join('\n');
  }
  for (const r of summary.computations) {
    const entities =
      r.entities === null
        ? ''
        : `  ${r.entities.succeeded}/${r.entities.planned} entities${r.entities.failed > 0 ? `, ${r.entities.failed} failed` : ''}`;
    const duration = r.durationMs === null ? '' : `  ${(r.durationMs / 1000).toFixed(2)} s`;
    lines.push(
      `  ${r.icon} ${r.date} ${r.name.padEnd(26)} ${r.status.padEnd(10)}${duration}${entities}${r.detail === null ? '' : `  ${r.detail}`}`,
    );
  }
  if (summary.resume !== null) lines.push(`Resume with: ${summary.resume}`);
  return lines.join('\n');
}
