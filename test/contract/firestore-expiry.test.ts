import type { CollectionReference, Firestore } from '@google-cloud/firestore';
import { historyEntry } from '../../shared/state/history.ts';
import { Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FirestoreStateStore,
  TTL_COLLECTIONS,
  TTL_FIELD,
} from '../../shared/adapters/firestore/firestore-state-store.ts';
import { acquireLease, leaseIsFree } from '../../shared/state/leases.ts';
import type { BatchRecord, RunRecord } from '../../shared/ports/state-store.ts';
import { emulatorMissing, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { state } from './state-store.contract.ts';

/**
 * Firestore keeps nothing forever: every document the state store writes
 * carries an expireAt timestamp, and the Terraform module puts a TTL policy
 * on each collection group that holds one. Runs, leases and ledgers expire
 * historyDays after their last write; computation states after ttlDays.
 */
const DAY = 86_400_000;
const missing = emulatorMissing('firestore');
let emulator: Emulator | undefined;
if (missing === null) {
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
  }, 120_000);
  afterAll(() => emulator?.stop());
}

/** Every document under the collections named PREFIX-*, with the name of its collection group. */
async function everyDocument(
  db: Firestore,
  prefix: string,
): Promise<Array<{ group: string; data: Record<string, unknown> }>> {
  const found: Array<{ group: string; data: Record<string, unknown> }> = [];
  const walk = async (collections: CollectionReference[]) => {
    for (const collection of collections) {
      for (const doc of (await collection.listDocuments()).filter(Boolean)) {
        const snapshot = await doc.get();
        if (snapshot.exists) found.push({ group: collection.id.replace(prefix, 'PREFIX'), data: snapshot.data()! });
        await walk(await doc.listCollections());
      }
    }
  };
  await walk((await db.listCollections()).filter((c) => c.id.startsWith(`${prefix}-`)));
  return found;
}

describe.skipIf(Boolean(missing))('what the Firestore state store writes expires', () => {
  it('puts expireAt on every document it writes, historyDays ahead, and never returns it', async () => {
    const db = emulatorFirestore(emulator!.host);
    const prefix = uniqueName('expiry');
    const store = new FirestoreStateStore(db, { collectionPrefix: prefix, historyDays: 30 });
    const now = Date.now();
    const run: RunRecord = {
      runId: 'run-1',
      dates: ['2026-01-26'],
      trigger: 'cli',
      computations: null,
      force: false,
      status: 'running',
      startedAt: new Date(now).toISOString(),
      finishedAt: null,
      progress: {},
    };
    const key = { runId: 'run-1', attempt: 1, computation: 'UserPositions', date: '2026-01-26' };
    const record: BatchRecord = {
      ...key,
      batchId: 'b1',
      succeeded: 2,
      failed: 0,
      stored: 2,
      errors: [],
      resultsBlob: 'results/b1.json',
      recordedAt: new Date(now).toISOString(),
    };
    try {
      await store.runs.create(run);
      await store.runs.claimStep('run-1', 'advance 2026-01-26 past pass 0');
      await acquireLease(store.leases, { computation: 'UserPositions', date: '2026-01-26' }, 'me', new Date(now), (h) =>
        leaseIsFree(h, 60_000, new Date(now)),
      );
      await store.ledger.planBatches(key, [{ batchId: 'b1', entityCount: 2, claimed: false }]);
      await store.ledger.seal(key, 2);
      await store.ledger.record(record);
      await store.states.put(state());
      await store.history.record({
        ...historyEntry({ ...state(), status: 'completed' }),
        recordedAt: new Date(now).toISOString(),
      });

      const documents = await everyDocument(db, prefix);
      // Every collection group written is one the module puts a TTL policy on (and all of them are written).
      expect([...new Set(documents.map((d) => d.group))].sort()).toEqual([...TTL_COLLECTIONS].sort());
      for (const { group, data } of documents) {
        const expiry = data[TTL_FIELD];
        expect(expiry, group).toBeInstanceOf(Timestamp);
        const at = (expiry as Timestamp).toMillis();
        if (group === 'PREFIX-states') expect(at).toBe(Date.parse(state().expiresAt));
        else expect(Math.abs(at - (now + 30 * DAY)), group).toBeLessThan(60_000);
      }
      // Reads give back what was written, without the expiry (and with the store's creation time).
      const created = { ...run, createdAtMs: expect.any(Number) as number };
      expect(await store.runs.get('run-1')).toEqual(created);
      expect(await store.runs.list(5)).toEqual([created]);
      expect(await store.ledger.batches(key)).toEqual([record]);
      expect((await store.history.ofRun('run-1'))[0]).not.toHaveProperty(TTL_FIELD);
      expect(await store.leases.get({ computation: 'UserPositions', date: '2026-01-26' })).not.toHaveProperty(
        TTL_FIELD,
      );
    } finally {
      await store.close();
    }
  });
});
