import { PoisonMessageError } from '../shared/errors.ts';
import type { BatchReady } from '../shared/events/contracts.ts';
import { ledgerKey, resultsBlobName, type BatchContext, type BatchResults } from '../shared/runtime/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import { runBatch } from '../shared/runtime/run-batch.ts';

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
    const text = await ports.blobs.get(event.contextBlob);
    if (text === null) {
      // The computation was finalized and its blobs cleaned: this is a late duplicate.
      log.warn({ blob: event.contextBlob }, 'Batch context is gone; the batch was already handled');
      return;
    }
    const context = JSON.parse(text) as BatchContext;
    const { results, errors, succeeded, failed } = await runBatch(entry, context, log);
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
