import type { GridReport } from './history.ts';

/** One single-width symbol per status, so a cell is one column whatever the terminal does with emoji. */
export const GRID_SYMBOLS: Readonly<Record<string, string>> = {
  completed: '✓',
  skipped: '=',
  partial: '!',
  failed: 'x',
  blocked: '#',
  impossible: '-',
  running: '>',
  pending: '.',
};

/** The legend in lines of at most `width` columns. */
function legend(width: number): string {
  const lines: string[] = [];
  for (const item of Object.entries(GRID_SYMBOLS).map(([status, symbol]) => `${symbol} ${status}`)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 2 + item.length <= width) lines[last] += `  ${item}`;
    else lines.push(item);
  }
  return lines.join('\n');
}

/**
 * The grid as text: computations down, dates across, one symbol per cell,
 * in pages of dates that fit `width` columns. Each column is a day of the
 * month ("01".."31"); a page's heading names its first and last date.
 */
export function formatGrid(grid: GridReport, width = 80): string {
  const names = [...new Set(grid.computations.map((c) => c.name))];
  const nameWidth = Math.min(28, Math.max(10, ...names.map((n) => n.length)));
  const perPage = Math.max(1, Math.floor((width - nameWidth - 1) / 3));
  const status = new Map(grid.computations.map((c) => [`${c.name}\u0000${c.date}`, c.status]));
  const clip = (name: string) => (name.length > nameWidth ? `${name.slice(0, nameWidth - 1)}…` : name.padEnd(nameWidth));
  const pages: string[] = [];
  for (let start = 0; start < grid.dates.length; start += perPage) {
    const dates = grid.dates.slice(start, start + perPage);
    const lines = [
      `${dates[0]} to ${dates.at(-1)}${grid.dates.length > perPage ? ` (page ${start / perPage + 1} of ${Math.ceil(grid.dates.length / perPage)})` : ''}`,
      `${''.padEnd(nameWidth)} ${dates.map((d) => d.slice(8, 10)).join(' ')}`,
      ...names.map(
        (name) =>
          `${clip(name)} ${dates.map((d) => ` ${GRID_SYMBOLS[status.get(`${name}\u0000${d}`) ?? 'pending'] ?? '?'}`).join(' ')}`,
      ),
    ];
    pages.push(lines.map((l) => l.trimEnd()).join('\n'));
  }
  return `${pages.join('\n\n')}\n\n${legend(width)}\n`;
}
