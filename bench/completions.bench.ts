import { FirestoreStateStore } from '../shared/adapters/firestore/firestore-state-store.ts';
import type { Lease, LeaseStore, LeaseToken, StateStore } from '../shared/ports/state-store.ts';
import { ledgerKey } from '../shared/batches/batch-files.ts';
import { acquireLease, holdsLease, renewLease } from '../shared/state/leases.ts';
import { emulatorMissing, startEmulator } from '../test/support/emulators.ts';
import { emulatorFirestore } from '../test/support/firestore.ts';
import { PROJECT_ID } from '../test/support/topology.ts';
import { result, type Bench, type BenchResult } from './harness.ts';

/** Completions each run handles: enough to be past start-up, few enough for a laptop. */
const COMPLETIONS = 192;
const CONCURRENCY = [1, 8, 64];
const D = '2026-01-26';

/**
 * The heartbeat before issue 25: a transaction on the one lease document
 * (read it, write heartbeatAt), as every completion and every worker did.
 * Kept here, callable, as the baseline.
 */
async function renewInTransaction(leases: LeaseStore, token: LeaseToken, now: Date): Promise<boolean> {
  const { written } = await leases.change(token, (current: Lease | null) =>
    holdsLease(current, token) ? { ...current, heartbeatAt: now.toISOString() } : null,
  );
  return written !== null;
}

type Heartbeat = (leases: LeaseStore, token: LeaseToken, now: Date, owner: string) => Promise<boolean>;

/**
 * What the state store does for one batch.completed, driven directly
 * (not through the emulator's two-at-a-time push): read the lease, record
 * the batch once, read the fan-in summary, heartbeat the lease.
 */
async function completions(store: StateStore, concurrency: number, heartbeat: Heartbeat): Promise<number> {
  const runId = `bench-${concurrency}-${Math.random().toString(36).slice(2, 8)}`;
  const key = { computation: 'Totals', date: D };
  const taken = await acquireLease(store.leases, key, 'executor', new Date(), () => true);
  if (!taken.acquired) throw new Error('bench: lease not taken');
  const lease = taken.lease;
  const ledger = ledgerKey(runId, 'Totals', D, lease.attempt);
  let next = 0;
  let failures = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, completer) => {
      while (next < COMPLETIONS) {
        const index = next++;
        try {
          await store.leases.get(key);
          await store.ledger.record({
            ...ledger,
            batchId: `b${String(index).padStart(6, '0')}`,
            succeeded: 10,
            failed: 0,
            stored: 10,
            errors: [],
            resultsBlob: null,
            recordedAt: new Date().toISOString(),
          });
          await store.ledger.summary(ledger);
          await heartbeat(store.leases, lease, new Date(), `completer-${completer}`);
        } catch {
          failures++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  if (failures > 0) process.stderr.write(`  ${concurrency} completers: ${failures} completions failed\n`);
  return (COMPLETIONS - failures) / seconds;
}

export const completionsBench: Bench = {
  name: 'completions',
  async run(): Promise<BenchResult[]> {
    const missing = emulatorMissing('firestore');
    if (missing !== null) throw new Error(`completions bench needs the Firestore emulator: ${missing}`);
    const firestore = await startEmulator('firestore');
    const results: BenchResult[] = [];
    try {
      for (const concurrency of CONCURRENCY) {
        const measure = async (name: string, heartbeat: Heartbeat) => {
          const store = new FirestoreStateStore(emulatorFirestore(firestore.host, PROJECT_ID), {
            collectionPrefix: `bench-${name}-${concurrency}`,
          });
          try {
            return await completions(store, concurrency, heartbeat);
          } finally {
            await store.close();
          }
        };
        const before = await measure('before', renewInTransaction);
        const after = await measure('after', renewLease);
        results.push(
          result({
            name: 'completions',
            subject: `${concurrency} concurrent completers, heartbeat per holder`,
            baseline: 'heartbeat as a transaction on the lease document',
            unit: 'ops/s',
            value: after,
            baselineValue: before,
            target: concurrency === 1 ? null : '>= 1x',
            minRatio: 1,
            notes: `${COMPLETIONS} completions (lease read, batch record, fan-in summary, heartbeat) on the Firestore emulator`,
          }),
        );
      }
    } finally {
      await firestore.stop();
    }
    return results;
  },
};
