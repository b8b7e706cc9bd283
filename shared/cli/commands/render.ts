import { UsageError } from '../../errors.ts';
import { requireManifest } from '../../manifest/build-manifest.ts';
import { requireComputation } from '../../manifest/manifest.ts';
import { dateFlag, stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openReader } from '../wiring.ts';

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unknown';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export const renderCommand: Command = {
  name: 'render',
  summary: 'print the validated SQL of each table a computation requires for a date',
  flags: {
    computation: { type: 'string', description: 'computation name (required)' },
    date: { type: 'string', description: 'date YYYY-MM-DD (required)' },
    estimate: {
      type: 'boolean',
      description: 'also ask the warehouse how many bytes each query scans (BigQuery dry run)',
    },
  },
  async run(input) {
    const name = stringFlag(input.flags, 'computation');
    if (name === undefined) throw new UsageError('--computation is required, e.g. --computation UserDailyActive');
    const date = dateFlag(input.flags, 'date', true);
    const project = await loadProject(input);
    const entry = requireComputation(await requireManifest(project), name);
    const opened = await openReader(project);
    try {
      const reader = opened.reader;
      const { reads, problems } = await reader.plan(entry, date);
      const estimates = input.flags.estimate === true && problems.length === 0 ? await reader.estimate(reads) : null;
      if (input.flags.json === true) {
        printJson(input, {
          computation: entry.name,
          date,
          warehouse: opened.warehouse.dialect,
          tables: reads.map((read) => ({
            table: read.table,
            mandatory: read.mandatory,
            sql: read.compiled.sql,
            params: read.compiled.params,
            ...(estimates === null ? {} : { estimate: estimates.perTable[read.table] }),
          })),
          ...(estimates === null ? {} : { totalBytes: estimates.totalBytes }),
          errors: problems.map(({ code, message }) => ({ code, message })),
        });
        return problems.length === 0 ? 0 : 1;
      }
      if (problems.length > 0) {
        input.io.stderr(
          `${entry.name} cannot be queried on ${date}:\n${problems.map((p) => `  - [${p.code}] ${p.message}`).join('\n')}\n`,
        );
        return 1;
      }
      if (reads.length === 0) input.io.stdout(`${entry.name} requires no tables.\n`);
      for (const read of reads) {
        const estimate = estimates === null ? '' : `  -- scans ${formatBytes(estimates.perTable[read.table]!.bytes)}`;
        input.io.stdout(
          `-- ${read.table}${read.mandatory ? ' (mandatory)' : ''}${estimate}\n${read.compiled.sql};\n-- params: ${JSON.stringify(read.compiled.params)}\n\n`,
        );
      }
      if (estimates !== null) input.io.stdout(`-- total scanned: ${formatBytes(estimates.totalBytes)}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
