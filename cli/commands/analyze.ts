import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { analyzeReport } from '../../shared/reports/analyze.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';
import { RUN_FLAGS, runRequestFromFlags } from './run.ts';
import { formatBytes } from './render.ts';

const ICONS: Record<string, string> = { run: '▶️', skip: '⏭️', blocked: '⛔', impossible: '🚫' };

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'say what a run would do for a date (run, skip, blocked, impossible), why, and what it would scan',
  flags: {
    date: RUN_FLAGS.date,
    to: { type: 'string', description: 'last date of a range, inclusive' },
    computation: RUN_FLAGS.computation,
    force: { type: 'boolean', description: 'analyze as if the run were forced' },
    repair: {
      type: 'boolean',
      description: 'also say what the repair window (the repairDays dates before --date) would run again, and why',
    },
  },
  async run(input) {
    const now = new Date();
    runRequestFromFlags(input.flags, now, null);
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const request = runRequestFromFlags(input.flags, now, { config: project, manifest });
    const { dates } = request;
    const opened = await openPorts(manifest, 'inspect', { env: input.io.env });
    const { state } = opened;
    try {
      const reader = opened.reader;
      const report = await analyzeReport({ manifest, state, reader }, request);
      const { computations, totalBytes, inputVersions: versions, repair } = report;
      if (input.flags.json === true) {
        printJson(input, {
          date: report.date,
          to: report.to,
          computations,
          totalBytes,
          inputVersions: versions,
          ...(repair === null ? {} : { repair: repair.items }),
        });
        return 0;
      }
      if (repair !== null) {
        const { window, items } = repair;
        input.io.stdout(
          window.length === 0
            ? 'Repair window: off (repairDays is 0)\n'
            : `Repair window ${window[0]}..${window[window.length - 1]}: ${items.length === 0 ? 'nothing to repair' : `${items.length} to run again`}\n`,
        );
        for (const item of items) input.io.stdout(`  ▶️ ${item.date} ${item.name.padEnd(26)} ${item.reason}\n`);
      }
      // DuckDB cannot price a scan: its lines leave the column out instead of saying 'unknown' on each.
      const priced = !reader.scansAreFree;
      for (const date of dates) {
        input.io.stdout(`${date}:\n`);
        for (const c of computations.filter((x) => x.date === date)) {
          const changed = c.changed.length > 0 ? `  [changed: ${c.changed.join(', ')}]` : '';
          const due = c.due ? '' : '  [not due]';
          const bytes = c.decision === 'run' && priced ? `  scans ${formatBytes(c.bytes)}` : '';
          input.io.stdout(
            `  ${ICONS[c.decision]} ${c.name.padEnd(26)} ${c.decision.padEnd(10)} ${c.reasons.join('; ')}${changed}${bytes}${due}\n`,
          );
        }
      }
      const counts = ['run', 'skip', 'blocked', 'impossible']
        .map((d) => `${computations.filter((c) => c.decision === d).length} ${d}`)
        .join(', ');
      input.io.stdout(`\n${counts}${priced ? `; would scan ${formatBytes(totalBytes)} in total` : ''}\n`);
      if (versions.queries > 0)
        input.io.stdout(
          `Input versions: ${versions.queries} quer${versions.queries === 1 ? 'y' : 'ies'}; each ${versions.cost}.\n`,
        );
      return 0;
    } finally {
      await opened.close();
    }
  },
};
