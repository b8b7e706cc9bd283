import { UsageError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { GLOBAL_ENTITY } from '../../shared/model/types.ts';
import type { EntityError } from '../../shared/ports/state-store.ts';
import type { StoredResult } from '../../shared/ports/warehouse.ts';
import { openBatches } from '../../shared/batches/assemble-batches.ts';
import { processGlobal } from '../../shared/batches/process-global.ts';
import { runBatch } from '../../shared/batches/run-batch.ts';
import { dateFlag, oneComputationFlag, stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';
import type { ProjectConfig } from '../../shared/project/project-config.ts';
import { didYouMean } from '../../shared/util/nearest.ts';
import { hasUsableResult } from '../../shared/plan/decide.ts';
import { computationFromFlag, runInProcess, shellWord } from './run.ts';
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
    const entityId = stringFlag(input.flags, 'entity-id');
    if (input.flags['dry-run'] !== true) {
      // A stored run computes and stores every entity of the computation-date: one entity alone is a dry run.
      if (entityId !== undefined)
        throw new UsageError(
          `compute execute --entity-id ${entityId} stores nothing for one entity alone: add --dry-run to compute and print ${entityId}'s result (compute execute --computation ${name} --date ${date} --entity-id ${shellWord(entityId)} --dry-run), or drop --entity-id to run and store every entity of ${name}`,
        );
      return runInProcess(input, { force: true, computations: [name] });
    }
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const entry = computationFromFlag(manifest, name);
    if (entityId !== undefined && entry.config.type === 'global')
      throw new UsageError(`--entity-id applies to per-entity computations; ${entry.name} is global`);
    const log = createLogger({
      destination: { write: (line: string) => (input.flags.verbose === true ? input.io.stderr(line) : undefined) },
      level: input.flags.verbose === true ? 'debug' : 'warn',
    }).child({ date, computation: entry.name, dryRun: true });
    const missing = await dependenciesWithoutResult(project, entry.config.dependencies, date, input.io.env);
    if (missing.length > 0) {
      // A real run would mark it blocked: computing from null inputs would print results nobody gets.
      input.io.stderr(
        `${entry.name} would be blocked on ${date}: ${missing.map((m) => `dependency ${m.name} ${m.why}`).join('; ')}. ` +
          `Run ${missing.length === 1 ? 'it' : 'them'} first: compute run --date ${date} --computation ${missing.map((m) => m.name).join(',')} --project ${shellWord(project.root)}\n`,
      );
      if (input.flags.json === true)
        printJson(input, {
          computation: entry.name,
          date,
          dryRun: true,
          blocked: missing.map((m) => `${m.name} ${m.why}`),
          results: [],
          errors: [],
        });
      return 1;
    }
    const opened = await openPorts(manifest, 'reader', { env: input.io.env });
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
      const seen: string[] = [];
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
            // Kept only to name a missing --entity-id: a whole dry run need not hold every id.
            if (entityId !== undefined) for (const entity of context.entities) seen.push(entity.entityId);
          }
        }
      }
      if (entityId !== undefined && impossible === null && !seen.includes(entityId)) {
        const unknownEntity = `Entity '${entityId}' is not among the ${seen.length} entities of ${entry.name} on ${date} (those with rows in a required table's window, or a dependency's result).${didYouMean(entityId, seen)}`;
        input.io.stderr(`${unknownEntity}\n`);
        if (input.flags.json === true)
          printJson(input, { computation: entry.name, date, dryRun: true, impossible, unknownEntity, results, errors });
        return 1;
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

/** Dependencies with no usable result on the date, as the decision to run would see them. */
async function dependenciesWithoutResult(
  project: ProjectConfig,
  dependencies: readonly string[],
  date: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Array<{ name: string; why: string }>> {
  if (dependencies.length === 0) return [];
  const { state: store, close } = await openPorts(project, 'state', { env });
  try {
    const missing: Array<{ name: string; why: string }> = [];
    for (const name of dependencies) {
      const state = await store.states.get(date, name);
      if (state === null) missing.push({ name, why: 'has not run' });
      else if (!hasUsableResult(state)) missing.push({ name, why: `is ${state.status}` });
    }
    return missing;
  } finally {
    await close();
  }
}
