import type { BatchReady } from '../shared/events/contracts.ts';
import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import type { IsoDate } from '../shared/model/types.ts';
import type { BatchPlan, Lease, LedgerKey } from '../shared/ports/state-store.ts';
import { openBatches } from '../shared/runtime/assemble-batches.ts';
import { contextBlobName, ledgerKey } from '../shared/runtime/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/ports.ts';
import type { PlannedRead } from '../shared/warehouse/computation-reader.ts';

/** Batch contexts being written to the blob store while the next ones are read: this bounds memory. */
const WRITE_DEPTH = 4;

/** Groups of batches being planned and published while the next group is read. */
const PIPELINE_DEPTH = 2;

/** Groups grow 1, 2, 4, ... up to this: the first batch goes out at once, later ones share a write. */
const MAX_GROUP = 32;

/** The step recording that a fan-out attempt started; the newest one is the one a resume continues. */
export function attemptStep(date: IsoDate, computation: string, attempt: number): string {
  return `attempt/${date}/${computation}/${String(attempt).padStart(8, '0')}`;
}

/** The newest fan-out attempt of a computation in a run, if any. */
export async function latestAttempt(
  ports: ServicePorts,
  runId: string,
  date: IsoDate,
  computation: string,
): Promise<number | null> {
  const steps = await ports.state.runs.steps(runId, `attempt/${date}/${computation}/`);
  const last = steps[steps.length - 1];
  return last === undefined ? null : Number(last.slice(last.lastIndexOf('/') + 1));
}

/**
 * Streams a per-entity computation's inputs and fans them out as they come,
 * in groups that grow from one batch to MAX_GROUP: each group's contexts are
 * written to the blob store, the group is recorded in the plan in one write
 * (those batches the window has room for already claimed for publishing),
 * the lease is checked, and only then are they published, at most
 * maxInFlightBatches ahead of the completions. Workers start on the first
 * batch while the rest is still being read; later completions publish what
 * the window held back. The plan is sealed once everything is read. Stops
 * early if the lease is lost (the circuit breaker tripped, or another
 * executor took over).
 */
export async function fanOut(
  ports: ServicePorts,
  entry: ManifestEntry,
  date: IsoDate,
  runId: string,
  reads: PlannedRead[],
  lease: Lease,
): Promise<{ impossible: string } | { plan: BatchPlan; attempt: number; allPublished: boolean }> {
  const attempt = lease.token;
  const key = ledgerKey(runId, entry.name, date, attempt);
  await ports.state.runs.claimStep(runId, attemptStep(date, entry.name, attempt));
  const opened = await openBatches(ports, entry, date, runId, reads);
  if ('impossible' in opened) return opened;
  const plan: BatchPlan = { ...key, batches: [], sealed: false, entityCount: 0 };
  const window = ports.settings.maxInFlightBatches;
  let published = 0;
  let completed = 0;
  let heldBack = 0;
  let unwritten = 0;
  let lost = false;
  /** A batch whose context is being (or was) written; only its id and size are kept. */
  type Cut = { batchId: string; entityCount: number; written: Promise<void> };
  const flush = async (group: Cut[]): Promise<void> => {
    await Promise.all(group.map((cut) => cut.written));
    // When the window looks full (or batches are held back), ask the ledger how
    // many are out. Groups still writing their plan are not in it yet: add them.
    if (heldBack > 0 || published + group.length - completed > window) {
      const [summary, inLedger] = await Promise.all([
        ports.state.ledger.summary(key),
        ports.state.ledger.publishedCount(key),
      ]);
      completed = summary.completed;
      published = inLedger + unwritten;
    }
    let room = Math.max(0, window - (published - completed));
    // While nothing is held back, the batches the window has room for are planned
    // already claimed (one write). Once some wait, all are planned waiting and the
    // oldest waiting ones are claimed, so batches go out in order.
    const direct = heldBack === 0 ? Math.min(room, group.length) : 0;
    const batches = group.map((cut, index) => ({
      batchId: cut.batchId,
      entityCount: cut.entityCount,
      published: index < direct,
    }));
    published += direct;
    room -= direct;
    heldBack += batches.length - direct;
    plan.batches.push(...batches);
    plan.entityCount += batches.reduce((sum, b) => sum + b.entityCount, 0);
    unwritten += direct;
    const [current] = await Promise.all([
      ports.state.leases.get(lease),
      ports.state.ledger.planBatches(key, batches).finally(() => (unwritten -= direct)),
    ]);
    if (current === null || current.token !== lease.token || current.released) {
      lost = true;
      return;
    }
    const toSend = batches.slice(0, direct).map((b) => b.batchId);
    if (heldBack > 0 && room > 0) {
      // Reserved before the claim is awaited, like the direct ones above.
      const wanted = Math.min(room, heldBack);
      published += wanted;
      unwritten += wanted;
      const claimed = await ports.state.ledger.claimUnpublished(key, wanted).finally(() => (unwritten -= wanted));
      published -= wanted - claimed.length;
      heldBack -= claimed.length;
      toSend.push(...claimed);
    }
    await Promise.all(toSend.map((id) => ports.bus.publish(batchReady(entry, runId, key, attempt, lease, id))));
  };
  const inFlight = new Set<Promise<void>>();
  const writing = new Set<Promise<void>>();
  /** The first step that failed: it fails the whole fan-out (the pass is retried), never vanishes. */
  let failure: { error: unknown } | null = null;
  const track = (set: Set<Promise<void>>, step: Promise<void>) => {
    set.add(step);
    step.then(
      () => set.delete(step),
      (error: unknown) => {
        set.delete(step);
        failure ??= { error };
      },
    );
  };
  const check = () => {
    if (failure !== null) throw failure.error;
  };
  let group: Cut[] = [];
  let size = 1;
  const send = async (): Promise<void> => {
    const running = flush(group);
    group = [];
    size = Math.min(size * 2, MAX_GROUP);
    track(inFlight, running);
    if (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight).catch(() => undefined);
    check();
  };
  try {
    for await (const context of opened.batches) {
      check();
      // Written now, so the context is let go of; the group keeps only its id and size.
      const written = ports.blobs.put(
        contextBlobName(runId, entry.name, date, attempt, context.batchId),
        JSON.stringify(context),
      );
      track(writing, written);
      group.push({ batchId: context.batchId, entityCount: context.entities.length, written });
      if (writing.size >= WRITE_DEPTH) await Promise.race(writing).catch(() => undefined);
      if (group.length >= size) await send();
      if (lost) break;
    }
    if (group.length > 0 && !lost) await send();
  } finally {
    // Nothing is left running behind a failure: every step is settled before the fan-out answers.
    await Promise.allSettled([...inFlight, ...writing]);
  }
  check();
  // Completions do not publish before the plan is sealed: fill the window one last time first.
  if (!lost && heldBack > 0) await send();
  await Promise.allSettled([...inFlight]);
  check();
  plan.batches.sort((a, b) => a.batchId.localeCompare(b.batchId));
  if (lost) return { plan, attempt, allPublished: false };
  await ports.state.ledger.seal(key, plan.entityCount);
  return { plan: { ...plan, sealed: true }, attempt, allPublished: heldBack === 0 };
}

/**
 * Publishes the next planned batches so that at most maxInFlightBatches are
 * out and not completed. Each batch is published once (claimed in the plan)
 * however many handlers race; `republish` sends again batches that were
 * published but never completed (resuming after a crash). Nothing is
 * published once the lease is no longer this one. Returns the fresh plan and
 * whether every batch of it is now published, or 'lease-lost'.
 */
export async function publishBatches(
  ports: ServicePorts,
  entry: ManifestEntry,
  runId: string,
  date: IsoDate,
  attempt: number,
  lease: Lease,
  options: { republish?: boolean } = {},
): Promise<{ plan: BatchPlan; sent: number; allPublished: boolean } | 'lease-lost'> {
  const current = await ports.state.leases.get(lease);
  if (current === null || current.token !== lease.token || current.released) return 'lease-lost';
  const key = ledgerKey(runId, entry.name, date, attempt);
  const [plan, summary, done] = await Promise.all([
    ports.state.ledger.getPlan(key),
    ports.state.ledger.summary(key),
    options.republish === true ? ports.state.ledger.batches(key) : Promise.resolve([]),
  ]);
  if (plan === null)
    return { plan: { ...key, batches: [], sealed: false, entityCount: 0 }, sent: 0, allPublished: false };
  const toSend: string[] = [];
  if (options.republish === true) {
    const completed = new Set(done.map((b) => b.batchId));
    for (const b of plan.batches) if (b.published && !completed.has(b.batchId)) toSend.push(b.batchId);
  }
  const room = ports.settings.maxInFlightBatches - (plan.batches.filter((b) => b.published).length - summary.completed);
  const claimed = room > 0 ? await ports.state.ledger.claimUnpublished(key, room) : [];
  toSend.push(...claimed);
  await Promise.all(toSend.map((id) => ports.bus.publish(batchReady(entry, runId, key, attempt, lease, id))));
  const left = plan.batches.filter((b) => !b.published).length - claimed.length;
  return { plan, sent: toSend.length, allPublished: plan.sealed && left <= 0 };
}

/**
 * After a batch completed, while a fan-out still holds batches back: one
 * batch done frees one place in the window, so claim and publish the next
 * one. The caller has checked the lease. Returns how many were published.
 */
export async function publishNext(
  ports: ServicePorts,
  entry: ManifestEntry,
  runId: string,
  date: IsoDate,
  attempt: number,
  lease: Lease,
): Promise<number> {
  const key = ledgerKey(runId, entry.name, date, attempt);
  const ids = await ports.state.ledger.claimUnpublished(key, 1);
  await Promise.all(ids.map((id) => ports.bus.publish(batchReady(entry, runId, key, attempt, lease, id))));
  return ids.length;
}

function batchReady(
  entry: ManifestEntry,
  runId: string,
  plan: LedgerKey,
  attempt: number,
  lease: Lease,
  batchId: string,
): BatchReady {
  return {
    v: 1,
    type: 'batch.ready',
    runId,
    date: plan.date,
    computation: plan.computation,
    batchId,
    // Batch ids are 'b' and the zero-padded index.
    index: Number(batchId.slice(1)),
    contextBlob: contextBlobName(runId, plan.computation, plan.date, attempt, batchId),
    codeHash: entry.codeHash,
    leaseToken: lease.token,
    attempt,
  };
}
