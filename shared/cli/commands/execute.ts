import { UsageError } from '../../errors.ts';
import { createLogger } from '../../logging/logger.ts';
import { requireManifest } from '../../manifest/build-manifest.ts';
import { requireComputation } from '../../manifest/manifest.ts';
import { GLOBAL_ENTITY } from '../../model/types.ts';
import type { EntityError } from '../../ports/state-store.ts';
import type { StoredResult } from '../../ports/warehouse.ts';
import { openBatches } from '../../runtime/assemble-batches.ts';
import { processGlobal } from '../../runtime/process-global.ts';
import { runBatch } from '../../runtime/run-batch.ts';
import { dateFlag, oneComputationFlag, stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openReader } from '../wiring.ts';
import { runInProcess } from './run.ts';
import { ENTITY_FLAG } from './show.ts';

export const executeCommand: Command = {
  name: 'execute',
  summary: 'run one computation for one date; with --dry-run print its results and write nothing',
  flags: {
    computation: { type: 'string', description: 'computation name (required)' },
    date: { type: 'string', description: 'date YYYY-MM-DD (required)' },
    'dry-run': { type: 'boolean', description: 'compute in this process and print; store no state and no results' },
    'entity-id': ENTITY_FLAG,
    verbose: { type: 'boolean', description: 'print the logs of process() on stderr' },
  },
  async run(input) {
    const name = oneComputationFlag(input.flags, 'execute');
    const date = dateFlag(input.flags, 'date', true);
    if (input.flags['dry-run'] !== true) return runInProcess(input, { force: true, computations: [name] });
    const entityId = stringFlag(input.flags, 'entity-id');
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const entry = requireComputation(manifest, name);
    if (entityId !== undefined && entry.config.type === 'global')
      throw new UsageError(`--entity-id applies to per-entity computations; ${entry.name} is global`);
    const log = createLogger({
      destination: { write: (line: string) => (input.flags.verbose === true ? input.io.stderr(line) : undefined) },
      level: input.flags.verbose === true ? 'debug' : 'warn',
    }).child({ date, computation: entry.name, dryRun: true });
    const opened = await openReader(project);
    try {
      const reader = opened.reader;
      const { reads, problems } = await reader.plan(entry, date);
      if (problems.length > 0) {
        input.io.stderr(
          `${entry.name} cannot be queried on ${date}:\n${problems.map((p) => `  - ${p.message}`).join('\n')}\n`,
        );
        return 1;
      }
      const results: StoredResult[] = [];
      const errors: EntityError[] = [];
      let impossible: string | null = null;
      if (entry.config.type === 'global') {
        const read = await reader.readAll(reads);
        impossible = read.impossible;
        if (impossible === null) {
          const outcome = await processGlobal({ manifest, results: opened.results }, entry, date, read.data, log);
          if ('error' in outcome) errors.push({ entityId: GLOBAL_ENTITY, error: outcome.error });
          else if (outcome.result !== null && outcome.result !== undefined)
            results.push({ entityId: GLOBAL_ENTITY, result: outcome.result });
        }
      } else {
        const batches = await openBatches({ manifest, results: opened.results, reader }, entry, date, 'dry-run', reads);
        if ('impossible' in batches) impossible = batches.impossible;
        else {
          for await (const context of batches.batches) {
            const outcome = await runBatch(
              entry,
              context,
              log,
              entityId === undefined ? undefined : (id) => id === entityId,
            );
            results.push(...outcome.results);
            errors.push(...outcome.errors);
          }
        }
      }
      if (input.flags.json === true) {
        printJson(input, { computation: entry.name, date, dryRun: true, impossible, results, errors });
      } else {
        if (impossible !== null) input.io.stdout(`🚫 ${entry.name} is impossible on ${date}: ${impossible}\n`);
        for (const r of results) input.io.stdout(`${r.entityId}\t${JSON.stringify(r.result)}\n`);
        for (const e of errors) input.io.stderr(`❌ ${e.entityId}: ${e.error}\n`);
        input.io.stderr(`Dry run: ${results.length} result(s), ${errors.length} error(s); nothing was stored.\n`);
      }
      return errors.length > 0 || impossible !== null ? 1 : 0;
    } finally {
      await opened.close();
    }
  },
};
