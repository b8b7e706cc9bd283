import { esc, legend, page, STATUS_SYMBOLS, type Paths } from './html.ts';
import { layoutByPass, type LayeredGraph } from './graph-layout.ts';

/**
 * The DAG laid out by pass as inline SVG: every computation's name as text,
 * each node a link to its computation-date page (focusable, so Tab walks
 * the graph), its status for `date` as colour and symbol; focusing or
 * pointing at a node highlights everything upstream and downstream.
 */
export function graphPage(
  paths: Paths,
  graph: LayeredGraph,
  date: string | null,
  statuses: ReadonlyMap<string, string>,
): string {
  const layout = layoutByPass(graph);
  const at = new Map(layout.nodes.map((n) => [n.name, n]));
  const { nodeWidth: w, nodeHeight: h } = layout;
  const edges = graph.edges
    .map(([from, to]) => {
      const a = at.get(from);
      const b = at.get(to);
      if (a === undefined || b === undefined) return '';
      const x1 = a.x + w;
      const y1 = a.y + h / 2;
      const x2 = b.x;
      const y2 = b.y + h / 2;
      const mid = (x1 + x2) / 2;
      return `<path class="edge" data-from="${esc(from)}" data-to="${esc(to)}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"/>`;
    })
    .join('');
  const nodes = layout.nodes
    .map((n) => {
      const status = date === null ? 'pending' : (statuses.get(n.name) ?? 'pending');
      const label = n.name.length > 24 ? `${n.name.slice(0, 23)}…` : n.name;
      const href = date === null ? paths.grid(`?q=${encodeURIComponent(n.name)}`) : paths.computation(n.name, date);
      return `<a href="${esc(href)}" data-name="${esc(n.name)}" aria-label="${esc(n.name)}${date === null ? '' : `: ${status}`}"><title>${esc(n.name)} (pass ${n.pass + 1})${date === null ? '' : `: ${status}`}</title><rect class="st-${status}" x="${n.x}" y="${n.y}" width="${w}" height="${h}" style="fill:currentColor;fill-opacity:.15"/><text x="${n.x + 6}" y="${n.y + 17}">${date === null ? '' : `${STATUS_SYMBOLS[status] ?? ''} `}${esc(label)}</text></a>`;
    })
    .join('');
  const columns = graph.passes.map((_, i) => `<text x="${12 + i * (w + 70)}" y="10" class="note">pass ${i + 1}</text>`);
  const data = JSON.stringify({ edges: graph.edges }).replaceAll('<', '\\u003c');
  const form = `<form class="filters" method="get" action="${esc(paths.graph())}"><label>Statuses on<input type="date" name="date" value="${esc(date ?? '')}"></label><button type="submit">Show</button></form>`;
  const svg = `<div class="scroll"><svg class="dag" role="group" aria-label="Computations by pass" width="${layout.width}" height="${layout.height + 14}" viewBox="0 -14 ${layout.width} ${layout.height + 14}" xmlns="http://www.w3.org/2000/svg">${columns.join('')}${edges}${nodes}</svg></div>`;
  const list = `<details><summary>As a list</summary><ol>${layout.nodes.map((n) => `<li>${esc(n.name)} (pass ${n.pass + 1}${date === null ? '' : `, ${esc(statuses.get(n.name) ?? 'pending')}`})</li>`).join('')}</ol></details>`;
  return page(
    paths,
    date === null ? 'Graph' : `Graph on ${date}`,
    `${form}${date === null ? '' : legend()}<p id="dag-selection" aria-live="polite" class="note">Focus or point at a computation to see what it depends on and what depends on it.</p>${svg}${list}<script type="application/json" id="dag-data">${data}</script>`,
    'graph',
  );
}
