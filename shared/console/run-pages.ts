import type { HistoryEntry } from '../ports/state-store.ts';
import { COUNTED_STATUSES, type RunRow } from '../reports/history.ts';
import { duration, esc, formatBytes, page, statusBadge, type Paths } from './html.ts';

function span(dates: string[]): string {
  return dates.length > 1 ? `${dates[0]} to ${dates.at(-1)} (${dates.length} dates)` : (dates[0] ?? '–');
}

function counts(run: RunRow): string {
  return COUNTED_STATUSES.filter((s) => run.counts[s] > 0)
    .map((s) => `${statusBadge(s)} ${run.counts[s]}`)
    .join(' ');
}

export function runsPage(paths: Paths, runs: RunRow[]): string {
  const rows = runs
    .map(
      (r) =>
        `<tr><th scope="row"><a href="${esc(paths.run(r.runId))}">${esc(r.runId)}</a></th><td>${statusBadge(r.status)}</td><td>${esc(r.trigger)}</td><td>${esc(span(r.dates))}</td><td>${esc(r.startedAt)}</td><td>${esc(r.finishedAt ?? '–')}</td><td>${counts(r)}</td></tr>`,
    )
    .join('\n');
  const body =
    runs.length === 0
      ? '<p>No runs recorded yet. Start one from <em>Analyze and run</em>, or with <code>compute run</code>.</p>'
      : `<div class="scroll"><table><thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Dates</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Computation-dates</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return page(paths, 'Runs', body, 'runs');
}

/** The part of a run's page that refreshes while it runs: its header, progress and Execution Summary. */
export function runSection(paths: Paths, run: RunRow, entries: HistoryEntry[], now: Date): string {
  const start = Date.parse(run.startedAt);
  const end = run.finishedAt === null ? now.getTime() : Date.parse(run.finishedAt);
  const total = Math.max(1, end - start);
  const progress = Object.entries(run.progress)
    .map(([date, p]) => `<li>${date}: ${p.done ? 'done' : `pass ${p.pass} of ${p.passes}`}</li>`)
    .join('');
  const rows = entries
    .map((e) => {
      const from = e.startedAt === null ? null : Math.max(0, Date.parse(e.startedAt) - start);
      const to = e.finishedAt === null ? null : Date.parse(e.finishedAt) - start;
      const bar =
        from !== null && to !== null && e.decision === 'run'
          ? `<span class="st-${e.status}" style="left:${((100 * from) / total).toFixed(2)}%;width:${((100 * Math.max(0, to - from)) / total).toFixed(2)}%;background:currentColor"></span>`
          : '';
      const entities =
        e.counts === null
          ? '–'
          : `${e.counts.succeeded}/${e.counts.planned}${e.counts.failed > 0 ? `, ${e.counts.failed} failed` : ''}`;
      return `<tr><td>${e.date}</td><th scope="row"><a href="${esc(paths.computation(e.computation, e.date))}">${esc(e.computation)}</a></th><td>${statusBadge(e.status)}</td><td>${esc(duration(e.durationMs))}</td><td>${esc(entities)}</td><td>${esc(formatBytes(e.bytesEstimated))}</td><td><div class="bar" role="img" aria-label="${esc(e.computation)} ran ${esc(duration(e.durationMs))}">${bar}</div></td><td>${esc(e.error ?? e.reason ?? (e.changed.length > 0 ? `changed: ${e.changed.join(', ')}` : ''))}</td></tr>`;
    })
    .join('\n');
  return `<div data-run-status="${run.status}"><dl class="facts">
<dt>Status</dt><dd>${statusBadge(run.status)}</dd><dt>Trigger</dt><dd>${esc(run.trigger)}</dd>
<dt>Dates</dt><dd>${esc(span(run.dates))}</dd><dt>Computations</dt><dd>${esc(run.computations?.join(', ') ?? 'all')}${run.force ? ' (forced)' : ''}</dd>
<dt>Started</dt><dd>${esc(run.startedAt)}</dd><dt>Finished</dt><dd>${esc(run.finishedAt ?? 'still running')}</dd>
<dt>Duration</dt><dd>${esc(duration(end - start))}</dd><dt>Outcome</dt><dd>${counts(run) || 'nothing finished yet'}</dd>
${run.error === null ? '' : `<dt>Error</dt><dd>${esc(run.error)}</dd>`}</dl>
${progress === '' ? '' : `<h2>Progress</h2><ul>${progress}</ul>`}
<h2>Execution Summary</h2>
${entries.length === 0 ? '<p>No computation has finished yet.</p>' : `<div class="scroll"><table><thead><tr><th scope="col">Date</th><th scope="col">Computation</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Entities</th><th scope="col">Estimated scan</th><th scope="col">Timeline</th><th scope="col">Why</th></tr></thead><tbody>${rows}</tbody></table></div>`}</div>`;
}

export function runPage(paths: Paths, run: RunRow, entries: HistoryEntry[], now: Date): string {
  const live = run.status === 'running' ? ` data-live="${esc(`${paths.run(run.runId)}?fragment=1`)}"` : '';
  return page(
    paths,
    `Run ${run.runId}`,
    `<section aria-live="polite"${live}>${runSection(paths, run, entries, now)}</section>`,
    'runs',
  );
}
