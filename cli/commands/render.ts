import { UsageError } from '../../shared/errors.ts';
import { formatBytes } from '../../shared/util/bytes.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { ManifestEntry } from '../../shared/manifest/manifest.ts';
import type { Problem } from '../../shared/errors.ts';
import type { ComputationReader, PlannedRead } from '../../shared/warehouse/computation-reader.ts';
import { COMPUTATIONS_FLAG, dateFlag } from '../args.ts';
import { loadProject, printJson, type Command, type CommandInput } from '../command.ts';
import { computationsFromFlags } from './run.ts';
import { openPorts } from '../open-ports.ts';

export { formatBytes };

export const renderCommand: Command = {
  name: 'render',
  summary: 'print the validated SQL of each table a computation requires for a date',
  flags: {
    computation: {
      ...COMPUTATIONS_FLAG,
      description: 'computation name (required); several: repeat it or give a comma list (--computation A,B)',
    },
    date: { type: 'string', description: 'date YYYY-MM-DD (required)' },
    estimate: {
      type: 'boolean',
      description: 'also ask the warehouse how many bytes each query scans (BigQuery dry run)',
    },
  },
  async run(input) {
    if (input.flags.computation === undefined)
      throw new UsageError('--computation is required, e.g. --computation UserDailyActive (or A,B for several)');
    const date = dateFlag(input.flags, 'date', true);
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const entries = (computationsFromFlags(input.flags, manifest) ?? []).map((name) => manifest.byName.get(name)!);
    const opened = await openPorts(manifest, 'reader', { env: input.io.env });
    try {
      const rendered: Rendered[] = [];
      for (const entry of entries) {
        const { reads, problems } = await opened.reader.plan(entry, date);
        const estimates =
          input.flags.estimate === true && problems.length === 0 ? await opened.reader.estimate(reads) : null;
        rendered.push({ entry, reads, problems, estimates });
      }
      const failed = rendered.some((r) => r.problems.length > 0);
      if (input.flags.json === true) {
        const objects = rendered.map((r) => renderedJson(r, date, opened.warehouse.dialect));
        // One computation keeps the single-object shape; several come as a list.
        printJson(input, objects.length === 1 ? objects[0] : { date, computations: objects });
        return failed ? 1 : 0;
      }
      for (const r of rendered) printRendered(input.io, r, date, rendered.length > 1);
      return failed ? 1 : 0;
    } finally {
      await opened.close();
    }
  },
};

interface Rendered {
  entry: ManifestEntry;
  reads: PlannedRead[];
  problems: Problem[];
  estimates: Awaited<ReturnType<ComputationReader['estimate']>> | null;
}

function renderedJson(r: Rendered, date: string, warehouse: string): Record<string, unknown> {
  return {
    computation: r.entry.name,
    date,
    warehouse,
    tables: r.reads.map((read) => ({
      table: read.table,
      mandatory: read.mandatory,
      sql: read.compiled.sql,
      params: read.compiled.params,
      ...(r.estimates === null ? {} : { estimate: r.estimates.perTable[read.table] }),
    })),
    ...(r.estimates === null ? {} : { totalBytes: r.estimates.totalBytes }),
    errors: r.problems.map(({ code, message }) => ({ code, message })),
  };
}

function printRendered(io: CommandInput['io'], r: Rendered, date: string, headed: boolean): void {
  const { entry, reads, problems, estimates } = r;
  if (headed) io.stdout(`-- ===== ${entry.name} on ${date} =====\n`);
  if (problems.length > 0) {
    io.stderr(
      `${entry.name} cannot be queried on ${date}:\n${problems.map((p) => `  - [${p.code}] ${p.message}`).join('\n')}\n`,
    );
    return;
  }
  if (reads.length === 0) io.stdout(`${entry.name} requires no tables.\n`);
  for (const read of reads) {
    const estimate = estimates === null ? '' : `  -- scans ${formatBytes(estimates.perTable[read.table]!.bytes)}`;
    io.stdout(
      `-- ${read.table}${read.mandatory ? ' (mandatory)' : ''}${estimate}\n${read.compiled.sql};\n-- params: ${JSON.stringify(read.compiled.params)}\n\n`,
    );
  }
  if (estimates !== null) io.stdout(`-- total scanned: ${formatBytes(estimates.totalBytes)}\n`);
}
