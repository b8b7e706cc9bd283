import { UsageError } from '../../shared/errors.ts';
import { STATUS_ICONS } from '../../shared/model/statuses.ts';
import { COUNTED_STATUSES, runsReport } from '../../shared/reports/history.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'run history, newest first: trigger, dates, status and what each run did',
  flags: { limit: { type: 'string', description: 'how many runs (default 20)' } },
  async run(input) {
    const raw = input.flags.limit;
    const limit = raw === undefined ? 20 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError(`--limit must be a whole number from 1 to 10000; got '${String(raw)}'`);
    const project = await loadProject(input);
    const { state: store, close } = await openPorts(project, 'state', { env: input.io.env });
    try {
      const { runs } = await runsReport(store, limit);
      if (input.flags.json === true) {
        printJson(input, { runs });
        return 0;
      }
      if (runs.length === 0) {
        input.io.stdout('No runs recorded yet.\n');
        return 0;
      }
      const lines = runs.map((r) => {
        const span = r.dates.length > 1 ? `${r.dates[0]}..${r.dates.at(-1)}` : (r.dates[0] ?? '-');
        const counts = COUNTED_STATUSES.filter((s) => r.counts[s] > 0)
          .map((s) => `${STATUS_ICONS[s]} ${r.counts[s]} ${s}`)
          .join(', ');
        return `  ${r.runId}  ${r.status.padEnd(9)} ${r.trigger.padEnd(9)} ${span.padEnd(22)} ${r.startedAt}  ${counts}${r.error === null ? '' : `  ${r.error}`}`;
      });
      input.io.stdout(`Runs, newest first:\n${lines.join('\n')}\n`);
      return 0;
    } finally {
      await close();
    }
  },
};
