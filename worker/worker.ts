import { PoisonMessageError, VersionSkewError } from '../shared/errors.ts';
import type { BatchReady } from '../shared/events/contracts.ts';
import {
  contextBlobName,
  INLINE_BYTES,
  INLINE_RESULTS,
  ledgerKey,
  resultsBlobName,
  type BatchContext,
  type BatchResults,
} from '../shared/batches/batch-files.ts';
import { withHeartbeat } from '../shared/state/heartbeat.ts';
import { timeoutsFor, type ServicePorts } from '../shared/runtime/service-ports.ts';
import { drivesAttempt } from '../shared/state/leases.ts';
import { checkBatchEvent, runOf } from '../shared/state/event-checks.ts';
import { runBatch, type BatchOutcome } from '../shared/batches/run-batch.ts';
import { loadShard } from '../shared/batches/shard-batches.ts';

/** How one delivery of a batch is run, when a thread pool runs it (tries after a crash). */
export interface BatchTry {
  /** Epoch ms at which the batch's budget ends (Default: now + batchTimeoutMs) */
  deadline?: number;
  /** Entities an earlier try died or was stopped in, with what happened: failed, not run again. */
  failed?: Readonly<Record<string, string>>;
  /** The context's text, handed over in memory by the embedded runtime instead of read from the blob store. */
  context?: string;
}

export interface Worker {
  onBatchReady: (event: BatchReady, batchTry?: BatchTry) => Promise<void>;
}

/** The parts of the ports a worker uses: it holds no state between messages. */
export type WorkerPorts = Pick<
  ServicePorts,
  'manifest' | 'state' | 'blobs' | 'bus' | 'log' | 'clock' | 'settings' | 'shards'
>;

export interface WorkerOptions {
  /** Called as each entity starts (a thread pool watches it to find a thread stuck in one entity). */
  onEntity?: (entityId: string) => void;
}

/**
 * Processes one batch: runs process() per entity, isolating each entity's
 * failure and timing out a hung one, writes the batch's results blob,
 * records the batch once in the ledger and announces its completion. The
 * lease of the batch's computation is heartbeated meanwhile.
 */
export function createWorker(ports: WorkerPorts, options: WorkerOptions = {}): Worker {
  const logFor = (event: BatchReady) =>
    ports.log.child({ runId: event.runId, date: event.date, computation: event.computation, batchId: event.batchId });

  /** A batch of an attempt that is no longer the one its computation's lease drives (re-planned, or finished). */
  async function superseded(event: BatchReady): Promise<boolean> {
    const lease = await ports.state.leases.get({ computation: event.computation, date: event.date });
    return !drivesAttempt(lease, event.attempt);
  }

  async function failedOutcome(event: BatchReady, error: string): Promise<BatchOutcome> {
    const plan = await ports.state.ledger.getPlan(ledgerKey(event.runId, event.computation, event.date, event.attempt));
    const entities = plan?.batches.find((b) => b.batchId === event.batchId)?.entityCount ?? 0;
    return { results: [], errors: [{ entityId: `batch ${event.batchId}`, error }], succeeded: 0, failed: entities };
  }

  /** Writes the batch's results, records it once, and announces its completion. */
  async function complete(event: BatchReady, outcome: BatchOutcome): Promise<void> {
    const log = logFor(event);
    const { results, errors, succeeded, failed, failedIds } = outcome;
    const body: BatchResults = { v: 1, batchId: event.batchId, results, errors, succeeded, failed };
    const text = JSON.stringify(body);
    // Small results travel in the ledger record; larger ones go to a blob the record names.
    const blob =
      text.length <= INLINE_BYTES ? null : resultsBlobName(event.runId, event.computation, event.date, event.batchId);
    if (blob !== null) await ports.blobs.put(blob, text);
    const recorded = await ports.state.ledger.record({
      ...ledgerKey(event.runId, event.computation, event.date, event.attempt),
      batchId: event.batchId,
      succeeded,
      failed,
      stored: results.length,
      errors,
      ...(failedIds === undefined ? {} : { failedIds }),
      resultsBlob: blob ?? INLINE_RESULTS,
      ...(blob === null ? { results } : {}),
      recordedAt: ports.clock.now().toISOString(),
    });
    log.info({ succeeded, failed, stored: results.length }, `Batch ${event.batchId} of ${event.computation} processed`);
    if (!recorded) {
      log.info({}, 'Batch was already recorded by an earlier delivery; announcing it again');
      if (blob !== null) await ports.blobs.deletePrefix(blob);
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

  async function onBatchReady(event: BatchReady, batchTry: BatchTry = {}): Promise<void> {
    const entry = ports.manifest.byName.get(event.computation);
    if (entry === undefined)
      throw new PoisonMessageError(
        'UNKNOWN_COMPUTATION',
        `batch.ready names computation '${event.computation}', which this worker does not have`,
      );
    // Checked against the stored run before anything runs: a batch of a run that does not exist, of a date it does not cover or a computation it does not hold is poison.
    checkBatchEvent(ports.manifest, await runOf(ports.state, event), event);
    const log = logFor(event);
    if (entry.codeHash !== event.codeHash) {
      // An old attempt's batch after the executor re-planned under new code: nothing left to do for it.
      if (await superseded(event)) {
        log.info(
          { plannedWith: event.codeHash },
          `Batch ${event.batchId} of ${event.computation} was superseded; acknowledged`,
        );
        return;
      }
      throw new VersionSkewError(entry.name, event.codeHash, entry.codeHash);
    }
    const expected = contextBlobName(event.runId, event.computation, event.date, event.attempt, event.batchId);
    if (event.contextBlob !== expected)
      throw new PoisonMessageError(
        'INVALID_CONTEXT_BLOB',
        `batch.ready names context blob '${event.contextBlob}', but batch ${event.batchId} of ${event.computation} on ${event.date} keeps its context at '${expected}'`,
      );
    // A small context travels in the message; the blob (always written) is the claim check.
    const text = event.context !== undefined ? null : (batchTry.context ?? (await ports.blobs.get(event.contextBlob)));
    if (event.context === undefined && text === null) {
      const current = await ports.state.states.get(event.date, event.computation);
      if (current === null || current.runId !== event.runId || current.status !== 'running') {
        // The computation was finalized and its blobs cleaned: this is a late duplicate.
        log.info({ blob: event.contextBlob }, 'Batch context is gone and the computation finished; a late duplicate');
        return;
      }
      // Lost while the computation runs (deleted by hand or by a lifecycle rule): its
      // entities cannot be processed. Count them failed, named, so the fan-out ends.
      const error = `batch context is missing from the blob store (${event.contextBlob}): its entities were not processed; run the computation again`;
      log.error({ blob: event.contextBlob }, `Batch ${event.batchId} of ${event.computation}: ${error}`);
      return complete(event, await failedOutcome(event, error));
    }
    const given = (event.context ?? JSON.parse(text!)) as BatchContext;
    if (given.batchId !== event.batchId || given.computation !== event.computation)
      throw new PoisonMessageError(
        'INVALID_CONTEXT',
        `batch.ready ${event.batchId} of ${event.computation} carries the context of batch ${given.batchId} of ${given.computation}`,
      );
    // A shard batch names its rows; the worker reads them itself (sharded reads).
    const context = given.shard === undefined ? given : await loadShard(ports.shards, given);
    const limits = timeoutsFor(ports.settings, entry.config);
    const lease = { computation: event.computation, date: event.date, token: event.leaseToken };
    // Keeps the computation's lease fresh while this batch runs, so the watchdog does not take a busy fan-out over.
    const outcome = await withHeartbeat(ports, lease, () =>
      runBatch(entry, context, log, undefined, {
        entityTimeoutMs: limits.entityMs,
        deadline: batchTry.deadline ?? ports.clock.now().getTime() + ports.settings.batchTimeoutMs,
        now: () => ports.clock.now().getTime(),
        ...(batchTry.failed === undefined ? {} : { failed: batchTry.failed }),
        ...(options.onEntity === undefined ? {} : { onEntity: options.onEntity }),
      }),
    );
    await complete(event, outcome);
  }

  return { onBatchReady };
}
