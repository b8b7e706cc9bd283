import { printable } from '../../shared/util/safe-text.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { STATUS_ICONS } from '../../shared/model/statuses.ts';
import { dateFlag } from '../args.ts';
import { UsageError } from '../../shared/errors.ts';
import { gridReport } from '../../shared/reports/history.ts';
import { formatGrid } from '../../shared/reports/grid-text.ts';
import { statusReport } from '../../shared/reports/status.ts';
import { daysBetween } from '../../shared/model/dates.ts';
import type { CommandInput } from '../command.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'status and result hash of every computation (for --date, or its latest date), and recent runs',
  flags: {
    date: { type: 'string', description: "date YYYY-MM-DD (default: each computation's latest)" },
    from: { type: 'string', description: 'first date of a range: every computation on every date, as a grid' },
    to: { type: 'string', description: 'last date of the range (default: --from)' },
  },
  async run(input) {
    if (input.flags.from !== undefined || input.flags.to !== undefined) return statusRange(input);
    const date = dateFlag(input.flags, 'date');
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const { state: store, close } = await openPorts(project, 'state', { env: input.io.env });
    try {
      const { computations: rows, runs } = await statusReport(manifest, store, date, new Date());
      if (input.flags.json === true) {
        printJson(input, { date: date ?? null, computations: rows, runs });
        return 0;
      }
      const lines = rows.map((r) => {
        const icon = STATUS_ICONS[r.status] ?? ' ';
        // Stored texts hold user values (entity ids, error messages): printed without control characters.
        const detail = printable(r.error ?? r.reason ?? '');
        const stale = r.stale ? '  (its holder is gone: compute sweep, or the next run, takes it over)' : '';
        return `  ${icon} ${r.name.padEnd(28)} ${(r.date ?? '-').padEnd(11)} ${r.status.padEnd(10)} ${r.resultHash?.slice(0, 12) ?? '-'.padEnd(12)}  ${detail}${stale}`;
      });
      input.io.stdout(
        `${date === undefined ? 'Latest state per computation' : `State on ${date}`}:\n${lines.join('\n')}\n`,
      );
      if (runs.length > 0) {
        input.io.stdout(
          `\nRecent runs:\n${runs.map((r) => `  ${printable(r.runId)}  ${r.status.padEnd(9)} ${r.dates[0]}${r.dates.length > 1 ? `..${r.dates[r.dates.length - 1]}` : ''}  started ${r.startedAt}`).join('\n')}\n`,
        );
      }
      return 0;
    } finally {
      await close();
    }
  },
};

/** `compute status --from D --to D2`: every computation on every date, from one range read of the state. */
async function statusRange(input: CommandInput): Promise<number> {
  if (input.flags.date !== undefined) throw new UsageError('Give either --date or --from/--to, not both');
  const from = dateFlag(input.flags, 'from');
  if (from === undefined) throw new UsageError('--to needs --from, e.g. --from 2026-01-01 --to 2026-01-31');
  const to = dateFlag(input.flags, 'to') ?? from;
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  const project = await loadProject(input);
  const manifest = await requireManifest(project);
  const span = daysBetween(from, to) + 1;
  if (span > project.maxRunDays)
    throw new UsageError(
      `--from ${from} --to ${to} spans ${span} dates; one request may span at most ${project.maxRunDays} (maxRunDays)`,
    );
  const { state: store, close } = await openPorts(project, 'state', { env: input.io.env });
  try {
    const grid = await gridReport(manifest, store, from, to);
    if (input.flags.json === true) {
      printJson(input, grid);
      return 0;
    }
    // Each page of the grid names its own dates.
    input.io.stdout(`State:\n${formatGrid(grid, 80)}`);
    return 0;
  } finally {
    await close();
  }
}
