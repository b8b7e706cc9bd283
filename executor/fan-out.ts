import { batchPrefix } from '../shared/events/blob-keys.ts';
import type { BatchReady } from '../shared/events/contracts.ts';
import type { IsoDate } from '../shared/model/types.ts';
import type { Lease, LedgerKey, LedgerSummary, PlannedBatch } from '../shared/ports/state-store.ts';
import { failureOrigins, openBatches } from '../shared/batches/assemble-batches.ts';
import { openShardBatches, plannedEntities } from '../shared/batches/shard-batches.ts';
import { previousDate } from '../shared/plan/decide.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import { attemptPrefix, contextBlobName, ledgerKey } from '../shared/batches/batch-files.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { claimedSteps, claimStep } from '../shared/state/steps.ts';
import type { PlannedRead } from '../shared/warehouse/computation-reader.ts';
import { Pipeline } from './pipeline.ts';
import { watchPublished, type Watched } from './publish-watch.ts';

/**
 * One fan-out of a per-entity computation: a computation on a date in a
 * run, the attempt (a fan-out redone under a new lease is a new attempt),
 * and the lease driving it. Its batches are planned in the ledger, then
 * sealed; `topUp` publishes them, `tripBreaker` and `finalizeOnce` end it.
 */
export interface FanOut extends WorkItem {
  attempt: number;
  lease: Lease;
}

export function fanOutKey(fan: FanOut): LedgerKey {
  return ledgerKey(fan.runId, fan.entry.name, fan.date, fan.attempt);
}

/** Batch contexts being written to the blob store while the next ones are read: this bounds memory. */
const WRITE_DEPTH = 4;

/** Groups grow 1, 2, 4, ... up to this: the first batch goes out at once, later ones share a plan write. */
const MAX_GROUP = 32;

/** The newest fan-out attempt of a computation in a run, if any. */
export async function latestAttempt(
  ports: ServicePorts,
  runId: string,
  date: IsoDate,
  computation: string,
): Promise<number | null> {
  // Recorded when each attempt starts; the newest is the one a takeover continues.
  const steps = await claimedSteps(ports.state.runs, runId, 'attempt', { date, computation });
  return steps[steps.length - 1]?.attempt ?? null;
}

/**
 * Plans a fan-out: streams the computation's inputs, writes each batch
 * context to the blob store, records the batches in the ledger in groups
 * (each group only once its contexts are written), tops the window up
 * after each group so workers start while the rest is read, and seals the
 * plan once everything is read. Any step that fails fails the fan-out.
 * Stops early, returning 'lease-lost', when `stillHeld()` turns false.
 * `sharded`: the batches name shards the workers read themselves
 * (readsSharded), instead of carrying the rows.
 */
export async function planFanOut(
  ports: ServicePorts,
  fan: FanOut,
  reads: PlannedRead[],
  stillHeld: () => boolean,
  sharded = false,
): Promise<
  | { impossible: string }
  | { entityCount: number; batches: number; contextBytes: number; sharded: boolean }
  | 'lease-lost'
> {
  const { entry, date, runId, attempt } = fan;
  const key = fanOutKey(fan);
  await claimStep(ports.state.runs, runId, { kind: 'attempt', date, computation: entry.name, attempt });
  // An earlier attempt's contexts held here will not be sent: this attempt supersedes it.
  ports.handOff?.releasePrefix(batchPrefix(runId, entry.name, date));
  const opened =
    sharded && ports.shards !== undefined
      ? await openShardBatches(
          { ...ports, shards: ports.shards },
          entry,
          { runId, computation: entry.name, date, attempt },
          reads,
        )
      : await openInputs(ports, fan, reads);
  if ('impossible' in opened) return opened;
  const writes = new Pipeline(WRITE_DEPTH);
  // Groups are recorded one after another (each tops the window up), while the next is read.
  const records = new Pipeline(1);
  let group: Array<PlannedBatch & { written: Promise<void> }> = [];
  let size = 1;
  let entityCount = 0;
  let batches = 0;
  /** What this process serialized and wrote for the fan-out's batches (logged: the executor's own data volume). */
  let contextBytes = 0;
  /** Small contexts of the group being recorded: those its own top-up publishes travel inline. */
  const inline = new Map<string, string>();
  const record = async (cuts: typeof group) => {
    await Promise.all(cuts.map((cut) => cut.written));
    const planned = cuts.map(({ batchId, entityCount: count }) => ({ batchId, entityCount: count, claimed: false }));
    await ports.state.ledger.planBatches(key, planned);
    if (stillHeld()) await topUp(ports, fan, undefined, undefined, inline);
    for (const cut of cuts) inline.delete(cut.batchId);
  };
  const handOff = ports.handOff;
  // Handed over in memory, the contexts never touch the blob store, but a batch's large results do:
  // a store that cannot be written fails the fan-out now, not after its entities ran.
  if (handOff !== undefined)
    await ports.blobs.put(
      `${attemptPrefix(runId, entry.name, date, attempt)}hand-off`,
      'contexts handed over in memory',
    );
  try {
    for await (const context of opened.batches) {
      if (!stillHeld()) break;
      // Written now, so the context is let go of; the group keeps only its id and size (and small text).
      const text = JSON.stringify(context);
      contextBytes += Buffer.byteLength(text);
      const name = contextBlobName(runId, entry.name, date, attempt, context.batchId);
      let written: Promise<void>;
      if (handOff === undefined) written = ports.blobs.put(name, text);
      else {
        // Embedded: the text is handed to the worker thread in memory, never written.
        handOff.keep(name, text);
        written = Promise.resolve();
      }
      if (text.length <= ports.settings.inlineContextBytes) inline.set(context.batchId, text);
      await writes.add(written);
      const count = plannedEntities(context);
      group.push({ batchId: context.batchId, entityCount: count, claimed: false, written });
      entityCount += count;
      batches++;
      if (group.length >= size || handOff?.full === true) {
        await records.add(record(group));
        group = [];
        size = Math.min(size * 2, MAX_GROUP);
      }
      if (handOff?.full === true) {
        // Every held context is recorded (and published as the window allows): completions make room.
        await records.drain();
        await handOff.room(() => !stillHeld());
      }
    }
    if (group.length > 0 && stillHeld()) await records.add(record(group));
    await records.drain();
  } finally {
    // Nothing keeps running behind a failure: every step settles before the fan-out answers.
    await Promise.allSettled([writes.drain(), records.drain()]);
  }
  if (!stillHeld()) return 'lease-lost';
  await ports.state.ledger.seal(key, entityCount);
  return { entityCount, batches, contextBytes, sharded };
}

/**
 * Whether the contexts of an attempt's unfinished batches can be sent again
 * from here: always through the blob store; with the embedded hand-off only
 * by the process that planned it (another one plans the computation again).
 */
export function contextsReachable(ports: ServicePorts, fan: Omit<FanOut, 'lease'>): boolean {
  return (
    ports.handOff === undefined || ports.handOff.holds(attemptPrefix(fan.runId, fan.entry.name, fan.date, fan.attempt))
  );
}

/** The executor's path: streams the inputs itself and cuts them into batch contexts carrying the rows. */
async function openInputs(ports: ServicePorts, fan: FanOut, reads: PlannedRead[]) {
  const { entry, date, runId } = fan;
  const previous = entry.config.isHistorical
    ? await ports.state.states.get(previousDate(entry, date), entry.name)
    : null;
  const origins = await failureOrigins(ports.state.states, entry, previous);
  return openBatches(ports, entry, date, runId, reads, previous, origins);
}

/**
 * The one place that fills a fan-out's in-flight window: claims as many
 * planned batches as there is room for (maxInFlightBatches published and
 * not completed) and publishes them. Racing callers never claim the same
 * batch; callers deciding at the same moment may send one more each.
 * With `freed`, claims that many without counting (a completion of a full
 * window frees one place). Returns the ids published and, when it
 * counted, how many batches are claimed now.
 */
export async function topUp(
  ports: ServicePorts,
  fan: FanOut,
  known?: LedgerSummary,
  freed?: number,
  inline?: ReadonlyMap<string, string>,
): Promise<{ published: string[]; claimed: number | null }> {
  const key = fanOutKey(fan);
  const publish = async (ids: string[]) => {
    await Promise.all(ids.map((id) => ports.bus.publish(batchReady(fan, id, inline?.get(id)))));
    watchPublished(ports, watched(ports, fan), ids);
  };
  if (freed !== undefined) {
    // The caller knows how many places just freed up (one completion of a full window): no count needed.
    const ids = await ports.state.ledger.claimNext(key, freed);
    await publish(ids);
    return { published: ids, claimed: null };
  }
  const [claimed, summary] = await Promise.all([
    ports.state.ledger.claimedCount(key),
    known === undefined ? ports.state.ledger.summary(key) : Promise.resolve(known),
  ]);
  const room = ports.settings.maxInFlightBatches - (claimed - summary.completed);
  if (room <= 0) return { published: [], claimed };
  const ids = await ports.state.ledger.claimNext(key, room);
  await publish(ids);
  return { published: ids, claimed: claimed + ids.length };
}

/**
 * After a takeover, or a retry under a fresh token: publishes again every
 * claimed batch that has no completion record (its publish may have been
 * lost with the holder, or failed), under the new lease, once per lease
 * token (a step of the run), so later completions do not send them again.
 * Workers handle repeats once. Returns how many it sent, or null when this
 * token's republication was done already.
 */
export async function republishUnfinished(ports: ServicePorts, fan: FanOut): Promise<number | null> {
  const { date, entry, attempt, lease } = fan;
  const step = { kind: 'republish', date, computation: entry.name, attempt, token: lease.token } as const;
  if (!(await claimStep(ports.state.runs, fan.runId, step))) return null;
  const key = fanOutKey(fan);
  const [plan, done] = await Promise.all([ports.state.ledger.getPlan(key), ports.state.ledger.batches(key)]);
  const recorded = new Set(done.map((b) => b.batchId));
  const ids = (plan?.batches ?? []).filter((b) => b.claimed && !recorded.has(b.batchId)).map((b) => b.batchId);
  await Promise.all(ids.map((id) => ports.bus.publish(batchReady(fan, id))));
  watchPublished(ports, watched(ports, fan), ids);
  return ids.length;
}

/** A fan-out as its publish watch sees it: it republishes under the same lease (inline contexts are in the blob too). */
function watched(ports: ServicePorts, fan: FanOut): Watched {
  return {
    key: fanOutKey(fan),
    token: fan.lease.token,
    republish: async (ids) => {
      await Promise.all(ids.map((id) => ports.bus.publish(batchReady(fan, id))));
    },
  };
}

function batchReady(fan: FanOut, batchId: string, context?: string): BatchReady {
  return {
    ...(context === undefined ? {} : { context: JSON.parse(context) as NonNullable<BatchReady['context']> }),
    v: 1,
    type: 'batch.ready',
    runId: fan.runId,
    date: fan.date,
    computation: fan.entry.name,
    batchId,
    // Batch ids are 'b' and the zero-padded index.
    index: Number(batchId.slice(1)),
    contextBlob: contextBlobName(fan.runId, fan.entry.name, fan.date, fan.attempt, batchId),
    codeHash: fan.entry.codeHash,
    leaseToken: fan.lease.token,
    attempt: fan.attempt,
  };
}
