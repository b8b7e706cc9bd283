import type { GridReport } from '../reports/history.ts';
import { esc, legend, page, STATUS_SYMBOLS, type Paths } from './html.ts';

export interface GridView {
  grid: GridReport;
  /** The computations shown on this page, in manifest order. */
  names: string[];
  /** Filters as given: a name substring and a status word. */
  query: string;
  status: string;
  page: number;
  pages: number;
  rows: number;
  /** Computations matching the filters, over all pages. */
  matching: number;
  /** Said above the grid, e.g. that a long range was cut to a page of dates. (Default: nothing) */
  note?: string | null;
}

function link(paths: Paths, view: GridView, changes: Record<string, string | number>): string {
  const params = new URLSearchParams({
    from: view.grid.from,
    to: view.grid.to,
    ...(view.query === '' ? {} : { q: view.query }),
    ...(view.status === '' ? {} : { status: view.status }),
    ...(view.rows === 50 ? {} : { rows: String(view.rows) }),
  });
  for (const [key, value] of Object.entries(changes)) params.set(key, String(value));
  return paths.grid(`?${params.toString()}`);
}

function shiftDates(view: GridView, by: number): { from: string; to: string } {
  const shift = (date: string) =>
    new Date(Date.parse(`${date}T00:00:00Z`) + by * 86_400_000).toISOString().slice(0, 10);
  return { from: shift(view.grid.from), to: shift(view.grid.to) };
}

/**
 * The computations x dates grid: an HTML table (dates as YYYY-MM-DD in the
 * header row, names in the first column, the status word as each cell's
 * aria-label beside a symbol and a colour), filtered and paged on the
 * server so a thousand computations over a year stay a page of 50 rows.
 */
export function gridPage(paths: Paths, view: GridView): string {
  const { grid } = view;
  const cells = new Map(grid.computations.map((c) => [`${c.name}\u0000${c.date}`, c.status]));
  const head = `<tr><th scope="col">Computation</th>${grid.dates.map((d) => `<th scope="col" class="d">${d}</th>`).join('')}</tr>`;
  const body = view.names
    .map((name) => {
      const tds = grid.dates
        .map((date) => {
          const status = cells.get(`${name}\u0000${date}`) ?? 'pending';
          return `<td class="st-${status}"><a href="${esc(paths.computation(name, date))}" aria-label="${status}">${STATUS_SYMBOLS[status] ?? '?'}</a></td>`;
        })
        .join('');
      return `<tr><th scope="row"><a href="${esc(paths.computation(name, grid.dates.at(-1) ?? grid.to))}">${esc(name)}</a></th>${tds}</tr>`;
    })
    .join('\n');
  const span = grid.dates.length;
  const earlier = shiftDates(view, -span);
  const later = shiftDates(view, span);
  const statusOptions = ['', ...Object.keys(STATUS_SYMBOLS)]
    .map((s) => `<option value="${s}"${s === view.status ? ' selected' : ''}>${s === '' ? 'any' : s}</option>`)
    .join('');
  const form = `<form class="filters" method="get" action="${esc(paths.grid())}" role="search">
<label>From<input type="date" name="from" value="${grid.from}"></label>
<label>To<input type="date" name="to" value="${grid.to}"></label>
<label>Name contains<input type="search" name="q" value="${esc(view.query)}"></label>
<label>Has status<select name="status">${statusOptions}</select></label>
<button type="submit">Show</button></form>`;
  const pager = `<nav class="pager" aria-label="Pages">
<a href="${esc(link(paths, view, { ...earlier, page: 1 }))}">← ${span} earlier dates</a>
<a href="${esc(link(paths, view, { ...later, page: 1 }))}">${span} later dates →</a>
${view.page > 1 ? `<a href="${esc(link(paths, view, { page: view.page - 1 }))}">↑ previous computations</a>` : ''}
<span>computations ${view.matching === 0 ? 0 : (view.page - 1) * view.rows + 1}–${Math.min(view.page * view.rows, view.matching)} of ${view.matching} (page ${view.page} of ${view.pages})</span>
${view.page < view.pages ? `<a href="${esc(link(paths, view, { page: view.page + 1 }))}">↓ next computations</a>` : ''}
</nav>`;
  const table =
    view.names.length === 0
      ? '<p>No computation matches these filters.</p>'
      : `<p class="note" id="grid-help">Each computation (rows) on each date (columns), ${grid.from} to ${grid.to}. Tab into the grid, then arrow keys move between cells; Enter opens one.</p><div class="scroll"><table class="grid" aria-describedby="grid-help"><caption class="note">Statuses</caption><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
  const note = view.note == null ? '' : `<p role="status">${esc(view.note)}</p>`;
  return page(paths, 'Computations × dates', `${form}${legend()}${note}${pager}${table}`, 'grid');
}
