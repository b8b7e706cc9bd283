import { shownStatus } from '../plan/decide.ts';
import type { ComputationState, HistoryEntry } from '../ports/state-store.ts';
import { duration, esc, formatBytes, page, statusBadge, type Paths } from './html.ts';

/** The SQL a computation reads on a date, as the warehouse would run it, or why it cannot be shown. */
export type RenderedSql =
  | {
      tables: Array<{ table: string; sql: string; params: unknown; bytes: number | null }>;
      totalBytes: number | null;
      problems: string[];
    }
  | { unavailable: string };

export interface ComputationView {
  name: string;
  date: string;
  dependencies: string[];
  dependents: string[];
  state: ComputationState | null;
  history: HistoryEntry[];
  sql: RenderedSql;
}

function why(view: ComputationView): string {
  const last = view.history[0];
  const changed = last?.changed ?? view.state?.changed ?? [];
  const decision = last?.decision ?? null;
  const verb =
    decision === 'skip'
      ? 'It was skipped: nothing it depends on changed since its stored result.'
      : decision === 'run'
        ? 'It ran because these hash components changed:'
        : decision === null
          ? ''
          : `It was ${decision}.`;
  const items = changed.map(
    (c) => `<li><code>${esc(c)}</code>${c === 'new' ? ' (no result was stored before)' : ''}</li>`,
  );
  const reason = last?.reason ?? view.state?.reason ?? null;
  return `<h2>Why it last ran or was skipped</h2><p>${esc(verb)}${decision === 'run' && changed.length === 0 ? ' none (it was forced, or repaired)' : ''}</p>${items.length === 0 ? '' : `<ul class="changed">${items.join('')}</ul>`}${reason === null ? '' : `<p>Reason: ${esc(reason)}</p>`}`;
}

function sqlSection(sql: RenderedSql): string {
  if ('unavailable' in sql) return `<h2>SQL it reads</h2><p class="note">${esc(sql.unavailable)}</p>`;
  const tables = sql.tables
    .map(
      (t) =>
        `<h3>${esc(t.table)} <span class="note">(scans ${esc(formatBytes(t.bytes))})</span></h3><pre><code>${esc(t.sql)}</code></pre><p class="note">params: ${esc(JSON.stringify(t.params))}</p>`,
    )
    .join('');
  const problems = sql.problems.map((p) => `<li>${esc(p)}</li>`).join('');
  return `<h2>SQL it reads</h2>${sql.tables.length === 0 && problems === '' ? '<p>It requires no tables.</p>' : ''}${tables}${problems === '' ? '' : `<ul>${problems}</ul>`}<p>Total estimated scan: ${esc(formatBytes(sql.totalBytes))}</p>`;
}

/** One computation-date: its status, why it ran or was skipped, its entities and failures, the SQL it reads, its neighbours. */
export function computationPage(paths: Paths, view: ComputationView): string {
  const { state } = view;
  const status = state === null ? 'pending' : shownStatus(state);
  const counts = state?.counts ?? null;
  const failures = state?.failures ?? [];
  const failedIds = state?.failedIds ?? [];
  const links = (names: string[]) =>
    names.length === 0
      ? 'none'
      : names.map((n) => `<a href="${esc(paths.computation(n, view.date))}">${esc(n)}</a>`).join(', ');
  const day = (offset: number) =>
    new Date(Date.parse(`${view.date}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  const history = view.history
    .map(
      (e) =>
        `<tr><td><a href="${esc(paths.run(e.runId))}">${esc(e.runId)}</a></td><td>${statusBadge(e.status)}</td><td>${esc(e.decision)}</td><td>${esc(e.changed.join(', ') || '–')}</td><td>${esc(duration(e.durationMs))}</td><td>${esc(e.finishedAt ?? '–')}</td></tr>`,
    )
    .join('');
  const body = `<p><a href="${esc(paths.computation(view.name, day(-1)))}">← ${day(-1)}</a> · <a href="${esc(paths.computation(view.name, day(1)))}">${day(1)} →</a> · <a href="${esc(paths.graph(view.date))}">graph on ${view.date}</a></p>
<dl class="facts"><dt>Status</dt><dd class="status">${statusBadge(status)}</dd>
<dt>Run</dt><dd>${state?.runId == null ? '–' : `<a href="${esc(paths.run(state.runId))}">${esc(state.runId)}</a>`}</dd>
<dt>Entities</dt><dd>${counts === null ? '–' : `${counts.planned} planned, ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.stored} results stored`}</dd>
<dt>Duration</dt><dd>${esc(duration(state?.startedAt != null && state.finishedAt !== null ? Date.parse(state.finishedAt) - Date.parse(state.startedAt) : null))}</dd>
<dt>Result hash</dt><dd><code>${esc(state?.resultHash ?? '–')}</code></dd>
${state?.error == null ? '' : `<dt>Error</dt><dd>${esc(state.error)}</dd>`}
<dt>Depends on</dt><dd>${links(view.dependencies)}</dd><dt>Used by</dt><dd>${links(view.dependents)}</dd></dl>
${why(view)}
${failures.length === 0 && failedIds.length === 0 ? '' : `<h2>Failed entities</h2><table class="failures"><thead><tr><th scope="col">Entity</th><th scope="col">Error</th></tr></thead><tbody>${failures.map((f) => `<tr><th scope="row">${esc(f.entityId)}</th><td>${esc(f.error)}</td></tr>`).join('')}</tbody></table>${failedIds.length > failures.length ? `<p>All failed ids (${failedIds.length}): ${esc(failedIds.join(', '))}</p>` : ''}`}
${sqlSection(view.sql)}
<h2>History</h2>${history === '' ? '<p>No run has recorded it yet.</p>' : `<div class="scroll"><table><thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Decision</th><th scope="col">Changed</th><th scope="col">Duration</th><th scope="col">Finished</th></tr></thead><tbody>${history}</tbody></table></div>`}`;
  return page(paths, `${view.name} on ${view.date}`, body, '');
}
