import { markPermanent } from '../shared/errors.ts';
import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import {
  keepFailedId,
  StaleLeaseError,
  type BatchPlan,
  type EntityCounts,
  type EntityError,
  type LeaseToken,
  type LedgerKey,
} from '../shared/ports/state-store.ts';
import type { ResultWriter, StoredResult } from '../shared/ports/warehouse.ts';
import { holdsLease } from '../shared/state/leases.ts';
import type { BatchResults } from '../shared/batches/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { ResultHasher } from '../shared/batches/result-hash.ts';

/** How running a computation ended, before its state is written. */
export type RunOutcome =
  | {
      status: 'completed';
      resultHash: string;
      planned: number;
      succeeded: number;
      failed: number;
      stored: number;
      failures: string | null;
      /** Failed entity ids (at most FAILED_IDS_CAP) and a sample of their errors. */
      failedIds?: string[];
      failureSample?: EntityError[];
    }
  | { status: 'impossible'; reason: string }
  | { status: 'failed'; error: string; counts?: EntityCounts | undefined };

/** Results blobs read ahead during finalization. */
const READ_AHEAD = 4;

/** At most this many entity failures are quoted in a state's reason. */
const QUOTED_FAILURES = 5;

/** At most this many failed entities, with their errors, are kept in a state (for show, status and the console). */
const FAILURE_SAMPLE = 20;

/** Each kept error text is cut to this many characters. */
const ERROR_TEXT_CAP = 1000;

/**
 * Gathers every batch's results, in entity order, into one atomic replace
 * of the stored results, and hashes them on the way, committed only while
 * `fence` is the current lease. The caller heartbeats the lease meanwhile.
 */
export async function finalizeBatches(
  ports: ServicePorts,
  entry: ManifestEntry,
  plan: BatchPlan,
  fence: LeaseToken,
): Promise<RunOutcome> {
  const key: LedgerKey = { runId: plan.runId, attempt: plan.attempt, computation: plan.computation, date: plan.date };
  const records = new Map((await ports.state.ledger.batches(key)).map((record) => [record.batchId, record]));
  const hasher = new ResultHasher();
  const writer = await ports.results.openReplace(entry.name, plan.date);
  let succeeded = 0;
  let failed = 0;
  const failures: string[] = [];
  const failureSample: EntityError[] = [];
  const failedIds: string[] = [];
  const failedChars = { used: 0 };
  // Read a few results blobs ahead while the current one is appended.
  const texts = new Map<string, Promise<string | null>>();
  const fetch = (index: number) => {
    const record = records.get(plan.batches[index]?.batchId ?? '');
    if (record?.resultsBlob != null && record.results === undefined && !texts.has(record.batchId)) {
      const text = ports.blobs.get(record.resultsBlob);
      // Read ahead: it may fail before it is awaited; the await below still sees the failure.
      text.catch(() => undefined);
      texts.set(record.batchId, text);
    }
  };
  try {
    for (let index = 0; index < plan.batches.length; index++) {
      const { batchId } = plan.batches[index]!;
      for (let ahead = index; ahead < index + READ_AHEAD; ahead++) fetch(ahead);
      const record = records.get(batchId);
      if (record === undefined)
        throw new Error(`batch ${batchId} of ${entry.name} on ${plan.date} has no completion record`);
      succeeded += record.succeeded;
      failed += record.failed;
      for (const error of record.errors) {
        if (failures.length < QUOTED_FAILURES) failures.push(`${error.entityId}: ${error.error}`);
        if (failureSample.length < FAILURE_SAMPLE)
          failureSample.push({ entityId: error.entityId, error: error.error.slice(0, ERROR_TEXT_CAP) });
      }
      for (const id of record.failedIds ?? []) keepFailedId(failedIds, failedChars, id);
      let results: StoredResult[];
      if (record.results !== undefined) results = record.results;
      else if (record.resultsBlob === null) continue;
      else {
        const text = await texts.get(batchId)!;
        texts.delete(batchId);
        if (text === null)
          // Gone for good (deleted by hand or by a lifecycle rule): retrying the finalization cannot bring it back.
          throw markPermanent(
            new Error(
              `results of batch ${batchId} (${record.resultsBlob}) are missing from the blob store: deleted before ${entry.name} finished on ${plan.date} (by hand, or a lifecycle rule shorter than a run). Run it again: compute run --date ${plan.date} --computation ${entry.name}`,
            ),
          );
        results = (JSON.parse(text) as BatchResults).results;
      }
      for (const { entityId, result } of results) hasher.add(entityId, result);
      await writer.append(results);
    }
    await commitFenced(ports, writer, fence);
  } catch (error) {
    await Promise.allSettled(texts.values());
    await writer.abort();
    throw error;
  }
  const failuresText =
    failed === 0
      ? null
      : `${failed} of ${succeeded + failed} entities failed: ${failures.join('; ')}${failed > failures.length ? '; ...' : ''}`;
  return {
    status: 'completed',
    resultHash: hasher.digest(),
    planned: plan.entityCount,
    succeeded,
    failed,
    stored: hasher.count,
    failures: failuresText,
    failedIds,
    failureSample,
  };
}

/**
 * Commits a results replace only while `fence` is still the current lease:
 * a zombie finalizer (its lease taken over) writes no results. The check
 * and the commit are two stores, so a takeover in the instant between them
 * is not caught; the new holder then replaces the results again.
 */
export async function commitFenced(
  ports: Pick<ServicePorts, 'state'>,
  writer: ResultWriter,
  fence: LeaseToken,
): Promise<void> {
  const lease = await ports.state.leases.get(fence);
  const current = lease?.token ?? null;
  if (!holdsLease(lease, fence)) throw new StaleLeaseError(fence, fence.token, current);
  await writer.commit();
}
