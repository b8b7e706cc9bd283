import type { AnalyzedComputation } from '../reports/analyze.ts';
import { esc, formatBytes, page, statusBadge, type Paths } from './html.ts';

/** What the page shows of an analysis of one computation-date (shared/reports/analyze.ts). */
export type AnalyzedRow = Pick<AnalyzedComputation, 'name' | 'date' | 'decision' | 'reasons' | 'changed' | 'bytes'>;

export interface AnalyzeForm {
  from: string;
  to: string;
  computations: string;
  force: boolean;
}

const DECISION_STATUS: Record<AnalyzedRow['decision'], string> = {
  run: 'running',
  skip: 'skipped',
  blocked: 'blocked',
  impossible: 'impossible',
};

function hidden(form: AnalyzeForm): string {
  return `<input type="hidden" name="from" value="${esc(form.from)}"><input type="hidden" name="to" value="${esc(form.to)}"><input type="hidden" name="computation" value="${esc(form.computations)}">${form.force ? '<input type="hidden" name="force" value="on">' : ''}`;
}

function formFields(paths: Paths, form: AnalyzeForm): string {
  return `<form class="filters" method="get" action="${esc(paths.analyze())}">
<label>From<input type="date" name="from" value="${esc(form.from)}" required></label>
<label>To<input type="date" name="to" value="${esc(form.to)}"></label>
<label>Computations (comma list, empty for all)<input type="text" name="computation" value="${esc(form.computations)}"></label>
<label><span>Force</span><input type="checkbox" name="force"${form.force ? ' checked' : ''}></label>
<button type="submit">Analyze</button></form>`;
}

/**
 * Analyze a date or range: what would run, skip or be blocked and why,
 * with the bytes it would scan; then a button to run it, which asks for
 * confirmation on its own page before anything starts.
 */
export function analyzePage(
  paths: Paths,
  form: AnalyzeForm,
  rows: AnalyzedRow[] | null,
  totalBytes: number | null,
  error: string | null,
): string {
  let result = '';
  if (error !== null) result = `<p role="alert">${esc(error)}</p>`;
  else if (rows !== null) {
    const tally = (d: AnalyzedRow['decision']) => rows.filter((r) => r.decision === d).length;
    const body = rows
      .map(
        (r) =>
          `<tr><td>${r.date}</td><th scope="row"><a href="${esc(paths.computation(r.name, r.date))}">${esc(r.name)}</a></th><td>${statusBadge(DECISION_STATUS[r.decision])} ${esc(r.decision)}</td><td>${esc(r.changed.join(', ') || '–')}</td><td>${esc(r.reasons.join('; '))}</td><td>${esc(r.decision === 'run' ? formatBytes(r.bytes) : '–')}</td></tr>`,
      )
      .join('\n');
    result = `<h2>What a run would do</h2><p class="summary">${tally('run')} would run, ${tally('skip')} skip, ${tally('blocked')} be blocked, ${tally('impossible')} impossible; estimated scan ${esc(formatBytes(totalBytes))}.</p>
<div class="scroll"><table><thead><tr><th scope="col">Date</th><th scope="col">Computation</th><th scope="col">Decision</th><th scope="col">Changed</th><th scope="col">Why</th><th scope="col">Scan</th></tr></thead><tbody>${body}</tbody></table></div>
<form method="post" action="${esc(`${paths.base}/run`)}">${hidden(form)}<button type="submit">Run this…</button></form>`;
  }
  return page(paths, 'Analyze and run', `${formFields(paths, form)}${result}`, 'analyze');
}

/** The confirmation step: nothing starts until this form is sent with confirm=yes. */
export function confirmPage(paths: Paths, form: AnalyzeForm): string {
  const span = form.to === '' || form.to === form.from ? form.from : `${form.from} to ${form.to}`;
  return page(
    paths,
    'Start a run?',
    `<p>This starts a run of <strong>${esc(form.computations === '' ? 'every computation' : form.computations)}</strong> on <strong>${esc(span)}</strong>${form.force ? ', forced (everything runs again)' : ''}.</p>
<form method="post" action="${esc(`${paths.base}/run`)}">${hidden(form)}<input type="hidden" name="confirm" value="yes"><button type="submit">Confirm: start the run</button> <a href="${esc(`${paths.analyze()}?${new URLSearchParams({ from: form.from, to: form.to, computation: form.computations }).toString()}`)}">Cancel</a></form>`,
    'analyze',
  );
}
