import { GLOBAL_ENTITY } from '../shared/model/types.ts';
import type { LeaseToken } from '../shared/ports/state-store.ts';
import { commitFenced, type RunOutcome } from './finalize.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { ResultHasher } from '../shared/batches/result-hash.ts';
import { processGlobal } from '../shared/batches/process-global.ts';
import { hasUsableResult, previousDate } from '../shared/plan/decide.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import type { PlannedRead } from '../shared/warehouse/computation-reader.ts';
import { seconds, withTimeLimit } from '../shared/batches/time-limit.ts';

/**
 * Runs a global computation in this process: reads every required table's
 * window, gathers dependency results, calls process() once (failing it
 * after its timeout) and replaces the stored result atomically.
 */
export async function runGlobal(
  ports: ServicePorts,
  item: WorkItem,
  reads: PlannedRead[],
  timeoutMs: number,
  fence: LeaseToken,
): Promise<RunOutcome> {
  const { runId, entry, date } = item;
  const { data, impossible } = await ports.reader.readAll(reads);
  if (impossible !== null) return { status: 'impossible', reason: impossible };
  // A previous date whose state holds no usable result (impossible, say) gives no previous result, whatever an older run left stored.
  const previous = entry.config.isHistorical
    ? await ports.state.states.get(previousDate(entry, date), entry.name)
    : null;
  const outcome = await processGlobal(
    ports,
    entry,
    date,
    data,
    ports.log.child({ runId, date, computation: entry.name }),
    (work) =>
      withTimeLimit(work(), timeoutMs, () => ({
        error: `timed out after ${seconds(timeoutMs)} (computationTimeoutSeconds)`,
      })),
    previous === null || hasUsableResult(previous),
  );
  if ('error' in outcome) return { status: 'failed', error: outcome.error };
  const result = outcome.result;
  const hasher = new ResultHasher();
  const writer = await ports.results.openReplace(entry.name, date);
  try {
    if (result !== null) {
      await writer.append([{ entityId: GLOBAL_ENTITY, result }]);
      hasher.add(GLOBAL_ENTITY, result);
    }
    await commitFenced(ports, writer, fence);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return {
    status: 'completed',
    resultHash: hasher.digest(),
    planned: 1,
    succeeded: 1,
    failed: 0,
    stored: hasher.count,
    failures: null,
  };
}
