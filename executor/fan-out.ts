import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import type { IsoDate } from '../shared/model/types.ts';
import type { BatchPlan, Lease, LedgerKey } from '../shared/ports/state-store.ts';
import { openBatches } from '../shared/runtime/assemble-batches.ts';
import { contextBlobName } from '../shared/runtime/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import type { PlannedRead } from '../shared/warehouse/computation-reader.ts';

/** Context blobs written at once during a fan-out. */
const CONCURRENT_WRITES = 4;

/**
 * Writes one context blob per batch (nothing is published here), then
 * records the planned batch list, so a crash from there on resumes from it.
 */
export async function writeBatchContexts(ports: ServicePorts, entry: ManifestEntry, date: IsoDate, runId: string, reads: PlannedRead[]): Promise<{ plan: BatchPlan } | { impossible: string }> {
  const opened = await openBatches(ports, entry, date, runId, reads);
  if ('impossible' in opened) return opened;
  const batches: BatchPlan['batches'] = [];
  let entityCount = 0;
  // A few writes in flight while the next batch is read: disk and warehouse overlap.
  const writing = new Set<Promise<void>>();
  for await (const context of opened.batches) {
    const write = ports.blobs.put(contextBlobName(runId, entry.name, date, context.batchId), JSON.stringify(context));
    writing.add(write);
    void write.finally(() => writing.delete(write)).catch(() => undefined);
    if (writing.size >= CONCURRENT_WRITES) await Promise.race(writing);
    batches.push({ batchId: context.batchId, entityCount: context.entities.length });
    entityCount += context.entities.length;
  }
  await Promise.all(writing);
  const plan = await ports.state.ledger.plan({ runId, computation: entry.name, date, batches, entityCount, plannedAt: ports.clock.now().toISOString() });
  return { plan };
}

function publishStep(key: LedgerKey, id: string): string {
  return `publish/${key.date}/${key.computation}/${id}`;
}

/**
 * Publishes the next batches of a plan so that at most maxInFlightBatches
 * are out and not completed. Each batch is published once (a claimed step)
 * however many handlers race; `republish` sends again batches that were
 * published but never completed (resuming after a crash).
 */
export async function publishBatches(ports: ServicePorts, entry: ManifestEntry, plan: BatchPlan, lease: Lease, options: { republish?: boolean } = {}): Promise<number> {
  const key: LedgerKey = { runId: plan.runId, computation: plan.computation, date: plan.date };
  const [claimed, summary, done] = await Promise.all([
    ports.state.runs.steps(plan.runId, `publish/${plan.date}/${plan.computation}/`),
    ports.state.ledger.summary(key),
    options.republish === true ? ports.state.ledger.batches(key) : Promise.resolve([]),
  ]);
  const published = new Set(claimed.map((step) => step.slice(step.lastIndexOf('/') + 1)));
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
    if (await ports.state.runs.claimStep(plan.runId, publishStep(key, id))) {
      toSend.push({ id, index });
      room--;
    }
  }
  for (const { id, index } of toSend) {
    await ports.bus.publish({
      v: 1,
      type: 'batch.ready',
      runId: plan.runId,
      date: plan.date,
      computation: plan.computation,
      batchId: id,
      index,
      contextBlob: contextBlobName(plan.runId, plan.computation, plan.date, id),
      codeHash: entry.codeHash,
      leaseToken: lease.token,
    });
  }
  return toSend.length;
}
