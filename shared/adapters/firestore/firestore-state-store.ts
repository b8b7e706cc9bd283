import {
  AggregateField,
  FieldPath,
  Timestamp,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
} from '@google-cloud/firestore';
import {
  ledgerRunField,
  StaleLeaseError,
  StaleStateError,
  isLeaseFence,
  type BatchLedger,
  type PlannedBatch,
  type BatchRecord,
  type ComputationState,
  type ComputationStates,
  type HistoryEntry,
  type HistoryStore,
  type Lease,
  type LeaseKey,
  type LeaseStore,
  type LedgerKey,
  type RunRecord,
  type RunStore,
  type StateStore,
} from '../../ports/state-store.ts';
import { holdsLease, laterBeat, storedLease } from '../../state/leases.ts';
import { planFrom } from '../../state/plans.ts';
import { dateRange } from '../../model/dates.ts';

/** Documents per batched get of a range read limited to some computations. */
const GET_ALL_CHUNK = 1_000;

/** gRPC FAILED_PRECONDITION: an update's lastUpdateTime no longer matches. */
const FAILED_PRECONDITION = 9;

/** gRPC ALREADY_EXISTS: `create()` found the document there. */
const ALREADY_EXISTS = 6;

/** Fields of a batch record the fan-in summary adds up, one aggregation query each. */
const SUMMED_FIELDS = ['succeeded', 'failed', 'stored'] as const;

/** Field holding a real timestamp for a Firestore TTL policy on the states collection. */
export const TTL_FIELD = 'expireAt';

/**
 * Collection groups whose documents carry {@link TTL_FIELD}, with PREFIX for
 * the collection prefix: the Terraform module puts a TTL policy on each
 * (held by a test). States expire after their computation's ttlDays; runs
 * (with their steps), leases and ledgers (with their planned batches and
 * batch records) `historyDays` after they were last written.
 */
export const TTL_COLLECTIONS = [
  'PREFIX-states',
  'PREFIX-runs',
  'PREFIX-history',
  'steps',
  'PREFIX-leases',
  'PREFIX-ledgers',
  'planned',
  'batches',
] as const;

/** Days a run, a lease or a ledger is kept after its last write. (Default: 90) */
export const DEFAULT_HISTORY_DAYS = 90;

function docId(...parts: string[]): string {
  const id = parts.map((part) => encodeURIComponent(part)).join('~');
  // Firestore refuses the ids '.', '..' and __...__: spell their first character escaped
  // (encodeURIComponent never writes %2E or %5F, so no other id can become the same).
  if (id === '.' || id === '..') return `%2E${id.slice(1)}`;
  if (/^__.*__$/.test(id)) return `%5F${id.slice(1)}`;
  return id;
}

/** Plain data for Firestore: no undefined, no class instances. */
function plain<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** A lease read with Firestore's times: its last write or heartbeat, and the read. */
interface ReadLease {
  lease: Lease;
  touchedMs: number;
  readMs: number;
}

function millisOf(time: Timestamp | undefined): number {
  return time === undefined ? 0 : time.toMillis();
}

function withSilence({ lease, touchedMs, readMs }: ReadLease): Lease {
  return touchedMs === 0 || readMs === 0 ? lease : { ...lease, silentMs: Math.max(0, readMs - touchedMs) };
}

function withoutTtl<T>(data: Record<string, unknown> | undefined): T | null {
  if (data === undefined) return null;
  const { [TTL_FIELD]: _ttl, ...rest } = data;
  return rest as T;
}

/** A state as read, with the store's time of its last write (its document's update time). */
function stateOf(snapshot: {
  data(): Record<string, unknown> | undefined;
  updateTime?: Timestamp;
}): ComputationState | null {
  const state = withoutTtl<ComputationState>(snapshot.data());
  const at = millisOf(snapshot.updateTime);
  return state === null || at === 0 ? state : { ...state, storedAtMs: at };
}

/** A run record as read, with the store's time of its creation (its document's create time). */
function runRecordOf(snapshot: {
  data(): Record<string, unknown> | undefined;
  createTime?: Timestamp;
}): RunRecord | null {
  const run = withoutTtl<RunRecord>(snapshot.data());
  const at = millisOf(snapshot.createTime);
  return run === null || at === 0 ? run : { ...run, createdAtMs: at };
}

/** Store-clock stamps come from the documents' own times: never written as fields. */
function withoutStamps<T extends object>(value: T): Omit<T, 'storedAtMs' | 'createdAtMs'> {
  const {
    storedAtMs: _stored,
    createdAtMs: _created,
    ...rest
  } = value as T & {
    storedAtMs?: number;
    createdAtMs?: number;
  };
  return rest;
}

async function createIfAbsent(ref: DocumentReference, data: Record<string, unknown>): Promise<boolean> {
  try {
    await ref.create(data);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === ALREADY_EXISTS) return false;
    throw error;
  }
}

/**
 * State in Firestore. Collections are named `PREFIX-states`, `-runs`,
 * `-leases` and `-ledgers`. Fan-in never touches a shared counter: each
 * batch is its own document created only if absent, and the summary is
 * single-field aggregation queries over them (no composite index needed). Leases and fenced writes use transactions
 * whose update functions have no side effects (they may be retried).
 */
export class FirestoreStateStore implements StateStore {
  readonly #db: Firestore;
  readonly #prefix: string;
  readonly #historyMs: number;
  readonly states: ComputationStates;
  readonly runs: RunStore;
  readonly leases: LeaseStore;
  readonly ledger: BatchLedger;
  readonly history: HistoryStore;

  constructor(db: Firestore, options: { collectionPrefix?: string; historyDays?: number } = {}) {
    this.#db = db;
    this.#prefix = options.collectionPrefix ?? 'compute';
    this.#historyMs = (options.historyDays ?? DEFAULT_HISTORY_DAYS) * 86_400_000;
    this.states = this.#statesPort();
    this.runs = this.#runsPort();
    this.leases = this.#leasesPort();
    this.ledger = this.#ledgerPort();
    this.history = this.#historyPort();
  }

  async close(): Promise<void> {
    await this.#db.terminate();
  }

  /** `data` with the expiry of history (runs, leases, ledgers), counted from now. */
  #expiring(data: Record<string, unknown>): Record<string, unknown> {
    return { ...data, [TTL_FIELD]: Timestamp.fromMillis(Date.now() + this.#historyMs) };
  }

  #collection(name: string): CollectionReference {
    return this.#db.collection(`${this.#prefix}-${name}`);
  }

  #leaseRef(key: LeaseKey): DocumentReference {
    return this.#collection('leases').doc(docId(key.computation, key.date));
  }

  #ledgerRef(key: LedgerKey): DocumentReference {
    return this.#collection('ledgers').doc(docId(ledgerRunField(key), key.computation, key.date));
  }

  #statesPort(): ComputationStates {
    const ref = (date: string, computation: string) => this.#collection('states').doc(docId(date, computation));
    return {
      get: async (date, computation) => stateOf(await ref(date, computation).get()),
      list: async (date) => {
        const query =
          date === undefined ? this.#collection('states') : this.#collection('states').where('date', '==', date);
        const states = (await query.get()).docs.map((doc) => stateOf(doc)!);
        return states.sort((a, b) => a.date.localeCompare(b.date) || a.computation.localeCompare(b.computation));
      },
      range: async (from, to, computations) => {
        let states: ComputationState[];
        if (computations === undefined) {
          // One single-field range query: no composite index needed.
          const query = this.#collection('states').where('date', '>=', from).where('date', '<=', to);
          states = (await query.get()).docs.map((doc) => stateOf(doc)!);
        } else {
          // Only these computations: their documents by id, in batched gets (nothing else is read or billed).
          const refs = dateRange(from, to).flatMap((date) => computations.map((name) => ref(date, name)));
          states = [];
          for (let i = 0; i < refs.length; i += GET_ALL_CHUNK) {
            const chunk = refs.slice(i, i + GET_ALL_CHUNK);
            if (chunk.length === 0) continue;
            for (const doc of await this.#db.getAll(...chunk)) if (doc.exists) states.push(stateOf(doc)!);
          }
        }
        return states.sort((a, b) => a.date.localeCompare(b.date) || a.computation.localeCompare(b.computation));
      },
      put: async (state, fence) => {
        const data = { ...plain(withoutStamps(state)), [TTL_FIELD]: Timestamp.fromDate(new Date(state.expiresAt)) };
        if (fence === undefined) {
          await ref(state.date, state.computation).set(data);
          return;
        }
        await this.#db.runTransaction(async (tx) => {
          if (isLeaseFence(fence)) {
            const lease = withoutTtl<Lease>((await tx.get(this.#leaseRef(fence))).data());
            const current = lease?.token ?? null;
            if (!holdsLease(lease, fence)) throw new StaleLeaseError(fence, fence.token, current);
          } else {
            const stored = withoutTtl<ComputationState>((await tx.get(ref(state.date, state.computation))).data());
            const found = stored?.updatedAt ?? null;
            if (found !== fence.updatedAt)
              throw new StaleStateError(state.computation, state.date, fence.updatedAt, found);
          }
          tx.set(ref(state.date, state.computation), data);
        });
      },
      purgeExpired: async (now) => {
        const expired = await this.#collection('states').where(TTL_FIELD, '<', Timestamp.fromDate(now)).get();
        const writer = this.#db.bulkWriter();
        for (const doc of expired.docs) void writer.delete(doc.ref);
        await writer.close();
        return expired.size;
      },
    };
  }

  #historyPort(): HistoryStore {
    const history = () => this.#collection('history');
    const entries = (docs: Array<{ data(): Record<string, unknown> }>) =>
      docs.map((doc) => withoutTtl<HistoryEntry>(doc.data())!);
    return {
      record: async (recorded) => {
        const expiresAt = Date.parse(recorded.recordedAt) + this.#historyMs;
        const entry: HistoryEntry = { ...recorded, expiresAt: new Date(expiresAt).toISOString() };
        const data = { ...plain(entry), [TTL_FIELD]: Timestamp.fromMillis(expiresAt) };
        await history()
          .doc(docId(entry.runId, entry.computation, entry.date))
          .set(data);
      },
      ofRun: async (runId) =>
        entries((await history().where('runId', '==', runId).get()).docs).sort(
          (a, b) => a.date.localeCompare(b.date) || a.computation.localeCompare(b.computation),
        ),
      // Equality filters only (Firestore merges single-field indexes); ordered here.
      of: async (computation, date, limit) =>
        entries((await history().where('computation', '==', computation).where('date', '==', date).get()).docs)
          .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt) || b.runId.localeCompare(a.runId))
          .slice(0, limit),
      purgeExpired: async (now) => {
        const expired = await history().where(TTL_FIELD, '<', Timestamp.fromDate(now)).get();
        const writer = this.#db.bulkWriter();
        for (const doc of expired.docs) void writer.delete(doc.ref);
        await writer.close();
        return expired.size;
      },
    };
  }

  #runsPort(): RunStore {
    const ref = (runId: string) => this.#collection('runs').doc(docId(runId));
    return {
      create: (run) => createIfAbsent(ref(run.runId), this.#expiring(plain(withoutStamps(run)))),
      get: async (runId) => runRecordOf(await ref(runId).get()),
      update: async (runId, patch) => {
        await ref(runId).update(this.#expiring(plain(withoutStamps(patch))));
      },
      list: async (limit) =>
        (await this.#collection('runs').orderBy('startedAt', 'desc').limit(limit).get()).docs.map((doc) =>
          runRecordOf(doc)!,
        ),
      claimStep: (runId, step) =>
        createIfAbsent(ref(runId).collection('steps').doc(docId(step)), this.#expiring({ step })),
      steps: async (runId, prefix) => {
        // Document ids are the encoded step names, so a prefix is a range of ids.
        const start = docId(prefix);
        const steps = ref(runId).collection('steps');
        const snapshot = await (
          start === ''
            ? steps
            : steps.where(FieldPath.documentId(), '>=', start).where(FieldPath.documentId(), '<', `${start}\uf8ff`)
        ).get();
        return snapshot.docs
          .map((doc) => String(doc.get('step')))
          .filter((step) => step.startsWith(prefix))
          .sort();
      },
    };
  }

  /**
   * Heartbeats live beside the lease, one document per (lease token,
   * holder) in the leases collection (so its TTL covers them): holders
   * never write the lease document to say they are alive. Reads of a lease
   * add the latest heartbeat of its token (one equality query on one field),
   * and when Firestore last wrote the lease or one of them (its update time)
   * with the time of the read: the silence on Firestore's clock.
   */
  async #withBeats(snapshot: DocumentSnapshot): Promise<ReadLease | null> {
    const lease = withoutTtl<Lease>(snapshot.data());
    if (lease === null) return null;
    const beats = await this.#collection('leases')
      .where('beatOf', '==', docId(lease.computation, lease.date, String(lease.token)))
      .get();
    let latest = lease.heartbeatAt;
    let touchedMs = millisOf(snapshot.updateTime);
    for (const doc of beats.docs) {
      latest = laterBeat(latest, String(doc.get('at')));
      touchedMs = Math.max(touchedMs, millisOf(doc.updateTime));
    }
    return { lease: { ...lease, heartbeatAt: latest }, touchedMs, readMs: millisOf(beats.readTime) };
  }

  #leasesPort(): LeaseStore {
    return {
      get: async (key) => {
        const read = await this.#withBeats(await this.#leaseRef(key).get());
        return read === null ? null : withSilence(read);
      },
      change: async (key, decide) => {
        // Heartbeats are read before the transaction, so heartbeat writes never contend with it.
        const before = await this.#withBeats(await this.#leaseRef(key).get());
        return this.#db.runTransaction(async (tx) => {
          const snapshot = await tx.get(this.#leaseRef(key));
          const stored = withoutTtl<Lease>(snapshot.data());
          const own = { touchedMs: millisOf(snapshot.updateTime), readMs: millisOf(snapshot.readTime) };
          const read =
            stored === null
              ? null
              : before !== null && stored.token === before.lease.token
                ? withSilence({
                    lease: { ...stored, heartbeatAt: laterBeat(stored.heartbeatAt, before.lease.heartbeatAt) },
                    touchedMs: Math.max(own.touchedMs, before.touchedMs),
                    readMs: Math.max(own.readMs, before.readMs),
                  })
                : withSilence({ lease: stored, ...own });
          const written = decide(read);
          if (written !== null) tx.set(this.#leaseRef(key), this.#expiring(plain(storedLease(written))));
          return { read, written };
        });
      },
      beat: async (token, owner, at) => {
        const id = docId(token.computation, token.date, 'beat', String(token.token), owner);
        const beatOf = docId(token.computation, token.date, String(token.token));
        await this.#collection('leases').doc(id).set(this.#expiring({ beatOf, owner, at }));
      },
    };
  }

  #ledgerPort(): BatchLedger {
    const batches = (key: LedgerKey) => this.#ledgerRef(key).collection('batches');
    // The claim is stored as 'published', its name since the first version.
    const stored = (batch: PlannedBatch) =>
      this.#expiring({ batchId: batch.batchId, entityCount: batch.entityCount, published: batch.claimed });
    return {
      planBatches: async (key, planned) => {
        // One commit per group (Firestore takes up to 500 writes in one); a retry that
        // finds some of them there records the rest one by one.
        for (let start = 0; start < planned.length; start += 500) {
          const group = planned.slice(start, start + 500);
          const refs = group.map((batch) => this.#ledgerRef(key).collection('planned').doc(docId(batch.batchId)));
          try {
            const write = this.#db.batch();
            group.forEach((batch, index) => write.create(refs[index]!, stored(batch)));
            await write.commit();
          } catch (error) {
            if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error;
            await Promise.all(group.map((batch, index) => createIfAbsent(refs[index]!, stored(batch))));
          }
        }
      },
      claimedCount: async (key) =>
        (await this.#ledgerRef(key).collection('planned').where('published', '==', true).count().get()).data().count,
      claimNext: async (key, limit) => {
        const claimed: string[] = [];
        const unpublished = this.#ledgerRef(key)
          .collection('planned')
          .where('published', '==', false)
          .orderBy(FieldPath.documentId());
        while (claimed.length < limit) {
          const wanted = limit - claimed.length;
          const page = await unpublished.limit(wanted).get();
          // Each claim is an update guarded by the version the query saw: of racing callers one wins.
          const won = await Promise.all(
            page.docs.map((doc) =>
              doc.ref.update({ published: true }, { lastUpdateTime: doc.updateTime }).then(
                () => true,
                (error: unknown) => {
                  if ((error as { code?: number }).code === FAILED_PRECONDITION) return false;
                  throw error;
                },
              ),
            ),
          );
          page.docs.forEach((doc, index) => {
            if (won[index] === true) claimed.push(String(doc.get('batchId')));
          });
          if (page.size < wanted) break;
        }
        return claimed.sort();
      },
      seal: async (key, entityCount) => {
        await this.#ledgerRef(key).set(this.#expiring({ ...plain(key), sealed: true, entityCount }), { merge: true });
      },
      isSealed: async (key) => (await this.#ledgerRef(key).get()).get('sealed') === true,
      getPlan: async (key) => {
        const [head, planned] = await Promise.all([
          this.#ledgerRef(key).get(),
          this.#ledgerRef(key).collection('planned').get(),
        ]);
        const batches = planned.docs.map((doc) => ({
          batchId: String(doc.get('batchId')),
          entityCount: Number(doc.get('entityCount')),
          claimed: doc.get('published') === true,
        }));
        return planFrom(key, batches, head.get('sealed') === true ? Number(head.get('entityCount')) : null);
      },
      record: (batch) => createIfAbsent(batches(batch).doc(docId(batch.batchId)), this.#expiring(plain(batch))),
      summary: async (key) => {
        // One aggregation per field: Firestore computes a sum from an index scan, and
        // several summed fields in one query need a composite index holding them all,
        // while each single-field aggregation is served by the automatic index on its
        // field (infra/README.md, "Firestore indexes"). One read-only transaction
        // reads all four at one snapshot, so the totals always describe the same batches.
        const collection = batches(key);
        const [completed, succeeded, failed, stored] = await this.#db.runTransaction(
          (tx) =>
            Promise.all([
              tx.get(collection.count()),
              ...SUMMED_FIELDS.map((field) => tx.get(collection.aggregate({ total: AggregateField.sum(field) }))),
            ]),
          { readOnly: true },
        );
        const total = (snapshot: typeof succeeded) => (snapshot?.data() as { total?: number } | undefined)?.total ?? 0;
        return {
          completed: completed.data().count,
          succeeded: total(succeeded),
          failed: total(failed),
          stored: total(stored),
        };
      },
      batches: async (key) =>
        (await batches(key).get()).docs
          .map((doc) => withoutTtl<BatchRecord>(doc.data())!)
          .sort((a, b) => a.batchId.localeCompare(b.batchId)),
    };
  }
}
