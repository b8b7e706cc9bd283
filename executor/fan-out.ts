import type { BatchReady } from '../shared/events/contracts.ts';
import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import type { IsoDate } from '../shared/model/types.ts';
import type { BatchPlan, Lease, LedgerKey } from '../shared/ports/state-store.ts';
import { openBatches } from '../shared/runtime/assemble-batches.ts';
import { contextBlobName, ledgerKey, type BatchContext } from '../shared/runtime/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import type { PlannedRead } from '../shared/warehouse/computation-reader.ts';

/** Batches read ahead of the one being recorded and published. */
const PIPELINE_DEPTH = 4;

/** The step recording that a fan-out attempt started; the newest one is the one a resume continues. */
export function attemptStep(date: IsoDate, computation: string, attempt: number): string {
  return `attempt/${date}/${computation}/${String(attempt).padStart(8, '0')}`;
}

/** The newest fan-out attempt of a computation in a run, if any. */
export async function latestAttempt(ports: ServicePorts, runId: string, date: IsoDate, computation: string): Promise<number | null> {
  const steps = await ports.state.runs.steps(runId, `attempt/${date}/${computation}/`);
  const last = steps[steps.length - 1];
  return last === undefined ? null : Number(last.slice(last.lastIndexOf('/') + 1));
}

/**
 * Streams a per-entity computation's inputs and fans them out as they come:
 * each batch's context is written to the blob store, recorded in the plan,
 * and only then published, at most maxInFlightBatches ahead of the
 * completions. Workers start on the first batch while the rest is still
 * being read. The plan is sealed once everything is read. Stops early if
 * the lease is lost (the circuit breaker tripped, or another executor took over).
 */
export async function fanOut(ports: ServicePorts, entry: ManifestEntry, date: IsoDate, runId: string, reads: PlannedRead[], lease: Lease): Promise<{ impossible: string } | { plan: BatchPlan; attempt: number }> {
  const attempt = lease.token;
  const key = ledgerKey(runId, entry.name, date, attempt);
  await ports.state.runs.claimStep(runId, attemptStep(date, entry.name, attempt));
  const opened = await openBatches(ports, entry, date, runId, reads);
  if ('impossible' in opened) return opened;
  const plan: BatchPlan = { ...key, batches: [], sealed: false, entityCount: 0 };
  const window = ports.settings.maxInFlightBatches;
  const prefix = publishPrefix(key);
  let published = 0;
  let completed = 0;
  // Each batch goes through write -> plan -> publish, up to PIPELINE_DEPTH batches at
  // once while the next ones are read: a batch is only ever published after it is planned.
  const inFlight = new Set<Promise<void>>();
  let lost = false;
  const step = async (context: BatchContext): Promise<void> => {
    const batch = { batchId: context.batchId, entityCount: context.entities.length };
    await ports.blobs.put(contextBlobName(runId, entry.name, date, attempt, context.batchId), JSON.stringify(context));
    await ports.state.ledger.planBatch(key, batch);
    plan.batches.push(batch);
    plan.entityCount += batch.entityCount;
    // Publish straight away while the window has room; when it looks full, ask the
    // ledger once. A batch left unpublished here is published by a later completion.
    if (published - completed >= window) completed = (await ports.state.ledger.summary(key)).completed;
    if (published - completed >= window) return;
    const [current, claimed] = await Promise.all([ports.state.leases.get(lease), ports.state.runs.claimStep(runId, `${prefix}${batch.batchId}`)]);
    if (current === null || current.token !== lease.token || current.released) {
      lost = true;
      return;
    }
    if (claimed) {
      published++;
      await ports.bus.publish(batchReady(entry, runId, plan, attempt, lease, batch.batchId, Number(batch.batchId.slice(1))));
    }
  };
  for await (const context of opened.batches) {
    const running = step(context);
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running)).catch(() => undefined);
    if (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight);
    if (lost) break;
  }
  await Promise.all(inFlight);
  plan.batches.sort((a, b) => a.batchId.localeCompare(b.batchId));
  if (lost) return { plan, attempt };
  await ports.state.ledger.seal(key, plan.entityCount);
  return { plan: { ...plan, sealed: true }, attempt };
}

function publishPrefix(key: LedgerKey): string {
  return `publish/${key.date}/${key.computation}/${key.runId.slice(key.runId.lastIndexOf('#') + 1)}/`;
}

/**
 * Publishes the next planned batches so that at most maxInFlightBatches are
 * out and not completed. Each batch is published once (a claimed step)
 * however many handlers race; `republish` sends again batches that were
 * published but never completed (resuming after a crash). Nothing is
 * published once the lease is no longer this one.
 */
export async function publishBatches(ports: ServicePorts, entry: ManifestEntry, plan: BatchPlan, attempt: number, lease: Lease, options: { republish?: boolean } = {}): Promise<number | 'lease-lost'> {
  const current = await ports.state.leases.get(lease);
  if (current === null || current.token !== lease.token || current.released) return 'lease-lost';
  const runId = plan.runId.slice(0, plan.runId.lastIndexOf('#'));
  const prefix = publishPrefix(plan);
  const [claimed, summary, done] = await Promise.all([
    ports.state.runs.steps(runId, prefix),
    ports.state.ledger.summary(plan),
    options.republish === true ? ports.state.ledger.batches(plan) : Promise.resolve([]),
  ]);
  const published = new Set(claimed.map((step) => step.slice(prefix.length)));
  const toSend: Array<{ id: string; index: number }> = [];
  if (options.republish === true) {
    const completed = new Set(done.map((b) => b.batchId));
    plan.batches.forEach((b, index) => {
      if (published.has(b.batchId) && !completed.has(b.batchId)) toSend.push({ id: b.batchId, index });
    });
  }
  let room = ports.settings.maxInFlightBatches - (published.size - summary.completed);
  for (let index = 0; index < plan.batches.length && room > 0; index++) {
    const id = plan.batches[index]!.batchId;
    if (published.has(id)) continue;
    if (await ports.state.runs.claimStep(runId, `${prefix}${id}`)) {
      toSend.push({ id, index });
      room--;
    }
  }
  for (const { id, index } of toSend) await ports.bus.publish(batchReady(entry, runId, plan, attempt, lease, id, index));
  return toSend.length;
}

function batchReady(entry: ManifestEntry, runId: string, plan: LedgerKey, attempt: number, lease: Lease, batchId: string, index: number): BatchReady {
  return {
    v: 1,
    type: 'batch.ready',
    runId,
    date: plan.date,
    computation: plan.computation,
    batchId,
    index,
    contextBlob: contextBlobName(runId, plan.computation, plan.date, attempt, batchId),
    codeHash: entry.codeHash,
    leaseToken: lease.token,
    attempt,
  };
}
