import type { ManifestEntry } from '../manifest/manifest.ts';
import { LOG_SINK } from '../model/computation.ts';
import { GLOBAL_ENTITY, type IsoDate, type Row } from '../model/types.ts';
import type { Logger } from '../ports/logger.ts';
import { previousDate } from '../plan/decide.ts';
import { dependencyResults, type ReadPorts } from './assemble-batches.ts';
import { buildContext } from './computation-context.ts';
import { storableResult } from './json-value.ts';
import { loadRules } from './rules.ts';
import { logSinkFor } from './run-batch.ts';

/**
 * Calls a global computation's process() once: with every required table's
 * rows, its dependencies' results, its rules and (historical) the previous
 * date's result. What process() throws, or a value JSON cannot hold, is
 * returned as the computation's failure; anything failing around it (reading results) is thrown, to be retried.
 */
export async function processGlobal(
  ports: Pick<ReadPorts, 'manifest' | 'results'>,
  entry: ManifestEntry,
  date: IsoDate,
  data: Record<string, Row[]>,
  log: Logger,
  wrap: (
    work: () => Promise<{ result: unknown } | { error: string }>,
  ) => Promise<{ result: unknown } | { error: string }> = (work) => work(),
  previousUsable = true,
): Promise<{ result: unknown } | { error: string }> {
  const [{ globals, byEntity }, rules, previous] = await Promise.all([
    dependencyResults(ports, entry.config.dependencies, date),
    loadRules(entry),
    entry.config.isHistorical && previousUsable
      ? ports.results.read(entry.name, previousDate(entry, date), [GLOBAL_ENTITY])
      : Promise.resolve([]),
  ]);
  const instance = new entry.Class();
  instance[LOG_SINK] = logSinkFor(log.child({ entityId: GLOBAL_ENTITY }));
  const context = buildContext({
    computation: entry.name,
    date,
    entityId: GLOBAL_ENTITY,
    data,
    rules,
    previousResult: previous[0]?.result ?? null,
    dependencies: entry.config.dependencies,
    ownDependencies: {},
    globals,
    byEntity,
  });
  return wrap(async () => {
    try {
      const stored = storableResult(await instance.process(context));
      return 'error' in stored ? { error: stored.error } : { result: stored.value };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
}
