export { formatBytes } from '../util/bytes.ts';
import { CONSOLE_SCRIPT, CONSOLE_STYLE } from './assets.ts';

/** A value HTML-escaped for text and attribute positions. */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A status with a symbol beside its colour: colour is never the only signal. */
export const STATUS_SYMBOLS: Readonly<Record<string, string>> = {
  completed: '✓',
  skipped: '=',
  partial: '!',
  failed: '✗',
  blocked: '#',
  impossible: '∅',
  running: '▶',
  pending: '·',
};

export function statusBadge(status: string): string {
  return `<span class="badge st-${esc(status)}"><span aria-hidden="true">${STATUS_SYMBOLS[status] ?? '?'}</span> ${esc(status)}</span>`;
}

export function legend(): string {
  return `<p class="legend">${Object.keys(STATUS_SYMBOLS)
    .map((s) => statusBadge(s))
    .join(' ')}</p>`;
}

/** Paths under the console's mount point (`/ui`), with encoded parts. */
export class Paths {
  readonly base: string;
  constructor(base: string) {
    this.base = base.replace(/\/$/, '');
  }
  grid(query = ''): string {
    return `${this.base}/${query}`;
  }
  graph(date?: string): string {
    return `${this.base}/graph${date === undefined ? '' : `?date=${encodeURIComponent(date)}`}`;
  }
  runs(): string {
    return `${this.base}/runs`;
  }
  run(runId: string): string {
    return `${this.base}/runs/${encodeURIComponent(runId)}`;
  }
  computation(name: string, date: string): string {
    return `${this.base}/computations/${encodeURIComponent(name)}/${encodeURIComponent(date)}`;
  }
  analyze(): string {
    return `${this.base}/analyze`;
  }
}

/** A whole page: the same header and navigation everywhere, inline style and script (no network at run time). */
export function page(paths: Paths, title: string, body: string, current: string): string {
  const nav = [
    ['grid', paths.grid(), 'Grid'],
    ['graph', paths.graph(), 'Graph'],
    ['runs', paths.runs(), 'Runs'],
    ['analyze', paths.analyze(), 'Analyze and run'],
  ]
    .map(
      ([key, href, label]) =>
        `<a href="${esc(href)}"${key === current ? ' aria-current="page"' : ''}>${esc(label)}</a>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · compute</title><style>${CONSOLE_STYLE}</style></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><strong>compute</strong><nav aria-label="Console">${nav}</nav></header>
<main id="main" tabindex="-1"><h1>${esc(title)}</h1>${body}</main>
<script>${CONSOLE_SCRIPT}</script></body></html>`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
