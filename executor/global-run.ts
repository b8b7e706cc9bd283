import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import { LOG_SINK } from '../shared/model/computation.ts';
import { GLOBAL_ENTITY, type IsoDate } from '../shared/model/types.ts';
import type { Lease } from '../shared/ports/state-store.ts';
import { buildContext } from '../shared/runtime/computation-context.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import { ResultHasher } from '../shared/runtime/result-hash.ts';
import { loadRules } from '../shared/runtime/rules.ts';
import { logSinkFor } from '../shared/runtime/run-batch.ts';
import { dependencyResults } from '../shared/runtime/assemble-batches.ts';
import type { PlannedRead } from '../shared/warehouse/computation-reader.ts';
import { previousDate } from '../shared/plan/decide.ts';
import { withHeartbeat } from './lease.ts';

export type RunOutcome =
  | { status: 'completed'; resultHash: string; planned: number; succeeded: number; failed: number; stored: number; failures: string | null }
  | { status: 'impossible'; reason: string }
  | { status: 'failed'; error: string };

/**
 * Runs a global computation in this process: reads every required table's
 * window, gathers dependency results, calls process() once and replaces
 * the stored result atomically.
 */
export async function runGlobal(ports: ServicePorts, entry: ManifestEntry, date: IsoDate, runId: string, lease: Lease, reads: PlannedRead[]): Promise<RunOutcome> {
  const { data, impossible } = await ports.reader.readAll(reads);
  if (impossible !== null) return { status: 'impossible', reason: impossible };
  const [{ globals, byEntity }, rules, previous] = await Promise.all([
    dependencyResults(ports, entry.config.dependencies, date),
    loadRules(entry),
    entry.config.isHistorical ? ports.results.read(entry.name, previousDate(date), [GLOBAL_ENTITY]) : Promise.resolve([]),
  ]);
  const instance = new entry.Class();
  instance[LOG_SINK] = logSinkFor(ports.log.child({ runId, date, computation: entry.name, entityId: GLOBAL_ENTITY }));
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
  let result: unknown;
  try {
    result = await withHeartbeat(ports, lease, async () => instance.process(context));
  } catch (error) {
    return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
  }
  const hasher = new ResultHasher();
  const writer = await ports.results.openReplace(entry.name, date);
  try {
    if (result !== null && result !== undefined) {
      const stored = JSON.parse(JSON.stringify(result)) as unknown;
      await writer.append([{ entityId: GLOBAL_ENTITY, result: stored }]);
      hasher.add(GLOBAL_ENTITY, stored);
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return { status: 'completed', resultHash: hasher.digest(), planned: 1, succeeded: 1, failed: 0, stored: hasher.count, failures: null };
}
