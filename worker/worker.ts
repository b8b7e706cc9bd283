import { PoisonMessageError } from '../shared/errors.ts';
import type { BatchReady } from '../shared/events/contracts.ts';
import type { Logger } from '../shared/ports/logger.ts';
import {
  contextBlobName,
  ledgerKey,
  resultsBlobName,
  type BatchContext,
  type BatchResults,
} from '../shared/runtime/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import { runBatch, type BatchOutcome } from '../shared/runtime/run-batch.ts';

/** The worker's code differs from the code the batch was planned with. */
export class VersionSkewError extends Error {
  readonly code = 'VERSION_SKEW';

  constructor(computation: string, expected: string, actual: string) {
    super(
      `Version skew: batch of ${computation} was planned with code ${expected.slice(0, 12)}, this worker runs ${actual.slice(0, 12)}. Deploy the same code to every service; the batch is left for a worker that has it.`,
    );
    this.name = 'VersionSkewError';
  }
}

export interface Worker {
  onBatchReady(event: BatchReady): Promise<void>;
}

/** The parts of the ports a worker uses: it holds no state between messages. */
export type WorkerPorts = Pick<ServicePorts, 'manifest' | 'state' | 'blobs' | 'bus' | 'log' | 'clock'>;

/**
 * Processes one batch: runs process() per entity, isolating each entity's
 * failure, writes the batch's results blob, records the batch once in the
 * ledger and announces its completion.
 */
export function createWorker(ports: WorkerPorts): Worker {
  async function lostBatch(event: BatchReady, log: Logger): Promise<BatchOutcome> {
    const plan = await ports.state.ledger.getPlan(ledgerKey(event.runId, event.computation, event.date, event.attempt));
    const entities = plan?.batches.find((b) => b.batchId === event.batchId)?.entityCount ?? 0;
    const error = `batch context is missing from the blob store (${event.contextBlob}): its ${entities} entities were not processed; run the computation again`;
    log.error({ blob: event.contextBlob, entities }, `Batch ${event.batchId} of ${event.computation}: ${error}`);
    return { results: [], errors: [{ entityId: `batch ${event.batchId}`, error }], succeeded: 0, failed: entities };
  }

  async function onBatchReady(event: BatchReady): Promise<void> {
    const entry = ports.manifest.byName.get(event.computation);
    if (entry === undefined)
      throw new PoisonMessageError(
        'UNKNOWN_COMPUTATION',
        `batch.ready names computation '${event.computation}', which this worker does not have`,
      );
    if (entry.codeHash !== event.codeHash) throw new VersionSkewError(entry.name, event.codeHash, entry.codeHash);
    const log = ports.log.child({
      runId: event.runId,
      date: event.date,
      computation: event.computation,
      batchId: event.batchId,
    });
    const expected = contextBlobName(event.runId, event.computation, event.date, event.attempt, event.batchId);
    if (event.contextBlob !== expected)
      throw new PoisonMessageError(
        'INVALID_CONTEXT_BLOB',
        `batch.ready names context blob '${event.contextBlob}', but batch ${event.batchId} of ${event.computation} on ${event.date} keeps its context at '${expected}'`,
      );
    const text = await ports.blobs.get(event.contextBlob);
    let outcome: BatchOutcome;
    if (text !== null) outcome = await runBatch(entry, JSON.parse(text) as BatchContext, log);
    else {
      const current = await ports.state.states.get(event.date, event.computation);
      if (current === null || current.runId !== event.runId || current.status !== 'running') {
        // The computation was finalized and its blobs cleaned: this is a late duplicate.
        log.info({ blob: event.contextBlob }, 'Batch context is gone and the computation finished; a late duplicate');
        return;
      }
      // Lost while the computation runs (deleted by hand or by a lifecycle rule): its
      // entities cannot be processed. Count them failed, named, so the fan-out ends.
      outcome = await lostBatch(event, log);
    }
    const { results, errors, succeeded, failed } = outcome;
    const blob = resultsBlobName(event.runId, event.computation, event.date, event.batchId);
    const body: BatchResults = { v: 1, batchId: event.batchId, results, errors, succeeded, failed };
    await ports.blobs.put(blob, JSON.stringify(body));
    const recorded = await ports.state.ledger.record({
      ...ledgerKey(event.runId, event.computation, event.date, event.attempt),
      batchId: event.batchId,
      succeeded,
      failed,
      stored: results.length,
      errors,
      resultsBlob: blob,
      recordedAt: ports.clock.now().toISOString(),
    });
    log.info({ succeeded, failed, stored: results.length }, `Batch ${event.batchId} of ${event.computation} processed`);
    if (!recorded) {
      log.info({}, 'Batch was already recorded by an earlier delivery; announcing it again');
      await ports.blobs.deletePrefix(blob);
    }
    await ports.bus.publish({
      v: 1,
      type: 'batch.completed',
      runId: event.runId,
      date: event.date,
      computation: event.computation,
      batchId: event.batchId,
      leaseToken: event.leaseToken,
      attempt: event.attempt,
      succeeded,
      failed,
    });
  }

  return { onBatchReady };
}
