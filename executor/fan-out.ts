import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import type { IsoDate } from '../shared/model/types.ts';
import type { BatchPlan, Lease, LedgerKey } from '../shared/ports/state-store.ts';
import { openBatches } from '../shared/runtime/assemble-batches.ts';
import { contextBlobName, ledgerKey } from '../shared/runtime/batch-files.ts';
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
  // Batches go through write -> plan -> publish in order, while the next ones are read:
  // a chain of steps keeps the order, and at most a few batches wait in it.
  let chain: Promise<boolean> = Promise.resolve(true);
  let waiting = 0;
  for await (const context of opened.batches) {
    const batch = { batchId: context.batchId, entityCount: context.entities.length };
    const written = ports.blobs.put(contextBlobName(runId, entry.name, date, attempt, context.batchId), JSON.stringify(context));
    written.catch(() => undefined);
    waiting++;
    chain = chain.then(async (going) => {
      await written;
      waiting--;
      if (!going) return false;
      await ports.state.ledger.planBatch(key, batch);
      plan.batches.push(batch);
      plan.entityCount += batch.entityCount;
      return (await publishBatches(ports, entry, plan, attempt, lease)) !== 'lease-lost';
    });
    if (waiting >= PIPELINE_DEPTH && !(await chain)) return { plan, attempt };
  }
  if (!(await chain)) return { plan, attempt };
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
  for (const { id, index } of toSend) {
    await ports.bus.publish({
      v: 1,
      type: 'batch.ready',
      runId,
      date: plan.date,
      computation: plan.computation,
      batchId: id,
      index,
      contextBlob: contextBlobName(runId, plan.computation, plan.date, attempt, id),
      codeHash: entry.codeHash,
      leaseToken: lease.token,
      attempt,
    });
  }
  return toSend.length;
}
