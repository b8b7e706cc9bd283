import { describe, expect, it } from 'vitest';
import type { HashComponents } from '../../shared/manifest/composite-hash.ts';
import {
  acquireLease,
  holdsLease,
  leaseIsFree,
  releaseLease,
  renewLease,
  storedLease,
} from '../../shared/state/leases.ts';
import {
  StaleLeaseError,
  StaleStateError,
  type LeaseKey,
  type BatchRecord,
  type ComputationState,
  type HistoryEntry,
  type RunRecord,
  type StateStore,
} from '../../shared/ports/state-store.ts';

export type StoreFactory = (testName: string) => Promise<StateStore>;

const T0 = new Date('2026-01-26T02:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;
/** A lease staleness real waits can pass in a test. */
const STALE_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const components: HashComponents = {
  code: 'c1',
  epoch: 0,
  layers: { money: 'l1' },
  rules: {},
  dependencies: { DailyPrices: 'r0' },
};

export function state(overrides: Partial<ComputationState> = {}): ComputationState {
  return {
    computation: 'UserPositions',
    date: '2026-01-26',
    status: 'completed',
    runId: 'run-1',
    compositeHash: 'h1',
    components,
    resultHash: 'r1',
    codeHash: 'c1',
    startedAt: T0.toISOString(),
    finishedAt: at(1000).toISOString(),
    updatedAt: at(1000).toISOString(),
    counts: { planned: 3, succeeded: 3, failed: 0, stored: 2 },
    error: null,
    reason: null,
    bytesScanned: null,
    expiresAt: '2027-01-26T02:00:00.000Z',
    ...overrides,
  };
}

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: 'run-1',
    dates: ['2026-01-26'],
    trigger: 'cli',
    computations: null,
    force: false,
    status: 'running',
    startedAt: T0.toISOString(),
    finishedAt: null,
    progress: {},
    ...overrides,
  };
}

const ledgerKey = { runId: 'run-1', attempt: 1, computation: 'UserPositions', date: '2026-01-26' };

const acquire = (store: StateStore, key: LeaseKey, owner: string, staleMs: number, now: Date) =>
  acquireLease(store.leases, key, owner, now, (holder) => leaseIsFree(holder, staleMs, now));

function batch(batchId: string, overrides: Partial<BatchRecord> = {}): BatchRecord {
  return {
    ...ledgerKey,
    batchId,
    succeeded: 10,
    failed: 0,
    stored: 9,
    errors: [],
    resultsBlob: `results/${batchId}.json`,
    recordedAt: T0.toISOString(),
    ...overrides,
  };
}

/** One suite over every StateStore adapter (pg-boss style). */
export function stateStoreContract(adapter: string, open: StoreFactory, options: { skip?: string | null } = {}): void {
  describe.skipIf(Boolean(options.skip))(`StateStore contract: ${adapter}`, () => {
    async function withStore(name: string, work: (store: StateStore) => Promise<void>): Promise<void> {
      const store = await open(name);
      try {
        await work(store);
      } finally {
        await store.close();
      }
    }

    describe('computation states', () => {
      it('stores, reads and lists states with their hash components', () =>
        withStore('states-roundtrip', async (store) => {
          await store.states.put(state());
          await store.states.put(state({ computation: 'DailyPrices', status: 'skipped', counts: null }));
          await store.states.put(state({ date: '2026-01-27', status: 'failed', error: 'boom' }));
          // As written, plus the store's time of the write (its own clock).
          expect(await store.states.get('2026-01-26', 'UserPositions')).toEqual({
            ...state(),
            storedAtMs: expect.any(Number) as number,
          });
          expect(await store.states.get('2026-01-26', 'Nope')).toBeNull();
          expect((await store.states.list('2026-01-26')).map((s) => [s.computation, s.status])).toEqual([
            ['DailyPrices', 'skipped'],
            ['UserPositions', 'completed'],
          ]);
          expect((await store.states.list()).map((s) => s.date)).toEqual(['2026-01-26', '2026-01-26', '2026-01-27']);
        }));

      it('replaces a state instead of appending', () =>
        withStore('states-replace', async (store) => {
          await store.states.put(state());
          await store.states.put(state({ resultHash: 'r2' }));
          const all = await store.states.list('2026-01-26');
          expect(all).toHaveLength(1);
          expect(all[0]!.resultHash).toBe('r2');
        }));

      it('purges expired states only', () =>
        withStore('states-purge', async (store) => {
          await store.states.put(state({ computation: 'Old', expiresAt: '2026-01-01T00:00:00.000Z' }));
          await store.states.put(state({ computation: 'Fresh', expiresAt: '2027-01-01T00:00:00.000Z' }));
          expect(await store.states.purgeExpired(T0)).toBe(1);
          expect((await store.states.list()).map((s) => s.computation)).toEqual(['Fresh']);
        }));
    });

    describe('history', () => {
      const entry = (overrides: Partial<HistoryEntry> = {}): Omit<HistoryEntry, 'expiresAt'> => ({
        runId: 'run-1',
        computation: 'UserPositions',
        date: '2026-01-26',
        status: 'partial',
        decision: 'run',
        reason: null,
        error: null,
        changed: ['input:orders'],
        compositeHash: 'h1',
        resultHash: 'r1',
        startedAt: T0.toISOString(),
        finishedAt: at(1000).toISOString(),
        durationMs: 1000,
        counts: { planned: 3, succeeded: 2, failed: 1, stored: 2 },
        failures: [{ entityId: 'u7', error: 'boom' }],
        bytesEstimated: 2048,
        bytesBilled: null,
        recordedAt: at(1000).toISOString(),
        ...overrides,
      });

      it('reads states of a date range in one call, by date then name', () =>
        withStore('states-range', async (store) => {
          for (const date of ['2026-01-25', '2026-01-26', '2026-01-27', '2026-01-28'])
            for (const computation of ['B', 'A']) await store.states.put(state({ date, computation }));
          const range = await store.states.range('2026-01-26', '2026-01-27');
          expect(range.map((s) => `${s.date}/${s.computation}`)).toEqual([
            '2026-01-26/A',
            '2026-01-26/B',
            '2026-01-27/A',
            '2026-01-27/B',
          ]);
          expect(await store.states.range('2026-02-01', '2026-02-28')).toEqual([]);
          // Only some computations: just their states (the console reads one page of its grid so).
          const some = await store.states.range('2026-01-25', '2026-01-26', ['B', 'Missing']);
          expect(some.map((s) => `${s.date}/${s.computation}`)).toEqual(['2026-01-25/B', '2026-01-26/B']);
          expect(some[0]).toEqual({
            ...state({ date: '2026-01-25', computation: 'B' }),
            storedAtMs: expect.any(Number) as number,
          });
          expect(await store.states.range('2026-01-25', '2026-01-26', [])).toEqual([]);
        }));

      it('keeps one entry per run and computation-date, by run and newest first per computation-date', () =>
        withStore('history', async (store) => {
          await store.history.record(entry());
          await store.history.record(entry({ status: 'completed', failures: [] })); // the same run again: replaced
          await store.history.record(entry({ computation: 'DailyPrices', changed: [] }));
          await store.history.record(
            entry({ runId: 'run-2', status: 'skipped', decision: 'skip', recordedAt: at(HOUR).toISOString() }),
          );
          const ofRun = await store.history.ofRun('run-1');
          expect(ofRun.map((e) => [e.computation, e.status])).toEqual([
            ['DailyPrices', 'partial'],
            ['UserPositions', 'completed'],
          ]);
          expect(ofRun[1]!.expiresAt > ofRun[1]!.recordedAt).toBe(true);
          const ofDate = await store.history.of('UserPositions', '2026-01-26', 10);
          expect(ofDate.map((e) => [e.runId, e.status, e.changed])).toEqual([
            ['run-2', 'skipped', ['input:orders']],
            ['run-1', 'completed', ['input:orders']],
          ]);
          expect((await store.history.of('UserPositions', '2026-01-26', 1)).map((e) => e.runId)).toEqual(['run-2']);
          expect(await store.history.of('UserPositions', '2026-01-27', 10)).toEqual([]);
        }));

      it('purges entries past their history days only', () =>
        withStore('history-purge', async (store) => {
          await store.history.record(entry({ runId: 'old', recordedAt: '2025-01-01T00:00:00.000Z' }));
          await store.history.record(entry({ runId: 'fresh' }));
          expect(await store.history.purgeExpired(T0)).toBe(1);
          expect((await store.history.of('UserPositions', '2026-01-26', 10)).map((e) => e.runId)).toEqual(['fresh']);
        }));
    });

    describe('runs', () => {
      it('creates a run once, updates and lists newest first', () =>
        withStore('runs', async (store) => {
          expect(await store.runs.create(run())).toBe(true);
          expect(await store.runs.create(run({ trigger: 'other' }))).toBe(false);
          expect((await store.runs.get('run-1'))!.trigger).toBe('cli');
          await store.runs.create(run({ runId: 'run-2', startedAt: at(HOUR).toISOString() }));
          await store.runs.update('run-1', {
            status: 'completed',
            finishedAt: at(5).toISOString(),
            progress: { '2026-01-26': { pass: 3, passes: 4, done: true } },
          });
          const updated = await store.runs.get('run-1');
          expect(updated).toMatchObject({
            status: 'completed',
            progress: { '2026-01-26': { pass: 3, passes: 4, done: true } },
          });
          expect((await store.runs.list(10)).map((r) => r.runId)).toEqual(['run-2', 'run-1']);
          expect(await store.runs.get('missing')).toBeNull();
        }));

      it('lets exactly one caller claim a step', () =>
        withStore('runs-steps', async (store) => {
          await store.runs.create(run());
          const claims = await Promise.all(
            Array.from({ length: 20 }, () => store.runs.claimStep('run-1', '2026-01-26/pass/1')),
          );
          expect(claims.filter(Boolean)).toHaveLength(1);
          expect(await store.runs.claimStep('run-1', '2026-01-26/pass/2')).toBe(true);
          await store.runs.claimStep('run-1', 'done/2026-01-26/B');
          await store.runs.claimStep('run-1', 'done/2026-01-26/A');
          await store.runs.claimStep('run-1', 'done/2026-01-27/A');
          await store.runs.claimStep('run-2', 'done/2026-01-26/C');
          expect(await store.runs.steps('run-1', 'done/2026-01-26/')).toEqual([
            'done/2026-01-26/A',
            'done/2026-01-26/B',
          ]);
          expect(await store.runs.steps('run-1', '')).toHaveLength(5);
        }));
    });

    describe('leases', () => {
      const key = { computation: 'UserPositions', date: '2026-01-26' };

      it('refuses a second holder while the lease is live', () =>
        withStore('lease-live', async (store) => {
          const first = await acquire(store, key, 'exec-a', HOUR, T0);
          expect(first.acquired).toBe(true);
          const second = await acquire(store, key, 'exec-b', HOUR, at(HOUR - 1));
          expect(second).toMatchObject({ acquired: false, holder: { owner: 'exec-a', token: 1 } });
        }));

      it('judges a lease that never heartbeated by its start, and allows takeover after expiry', () =>
        withStore('lease-takeover', async (store) => {
          await acquire(store, key, 'exec-a', STALE_MS, new Date());
          expect((await acquire(store, key, 'exec-b', STALE_MS, new Date())).acquired).toBe(false);
          await sleep(STALE_MS + 100);
          const later = await acquire(store, key, 'exec-b', STALE_MS, new Date());
          expect(later).toMatchObject({ acquired: true, lease: { owner: 'exec-b', token: 2 } });
        }));

      it('keeps a lease alive with heartbeats', () =>
        withStore('lease-heartbeat', async (store) => {
          const first = await acquire(store, key, 'exec-a', STALE_MS, new Date());
          if (!first.acquired) throw new Error('expected the lease');
          await sleep(STALE_MS / 2);
          expect(await renewLease(store.leases, first.lease, new Date(), 'exec-a')).toBe(true);
          await sleep(STALE_MS / 2 + 100);
          // Silent for longer than the staleness since the take, not since the heartbeat.
          expect((await acquire(store, key, 'exec-b', STALE_MS, new Date())).acquired).toBe(false);
          await sleep(STALE_MS);
          expect((await acquire(store, key, 'exec-b', STALE_MS, new Date())).acquired).toBe(true);
          expect(await renewLease(store.leases, first.lease, new Date(), 'exec-a')).toBe(false);
        }));

      it('judges silence on the store clock: holders and readers hours apart neither take a live lease nor keep a silent one (clock skew, issue 25 item 7)', () =>
        withStore('lease-skew', async (store) => {
          // The holder's clock is an hour behind, the reader's an hour ahead: by their clocks it has been silent two hours.
          const behind = (ms = 0) => new Date(Date.now() - HOUR + ms);
          const ahead = () => new Date(Date.now() + HOUR);
          const first = await acquire(store, key, 'exec-a', STALE_MS, behind());
          if (!first.acquired) throw new Error('expected the lease');
          expect(await renewLease(store.leases, first.lease, behind(), 'worker-behind')).toBe(true);
          const live = await acquire(store, key, 'exec-b', STALE_MS, ahead());
          expect(live).toMatchObject({ acquired: false, holder: { owner: 'exec-a', token: 1 } });
          expect(leaseIsFree((await store.leases.get(key))!, STALE_MS, ahead())).toBe(false);
          // A holder two hours ahead stamps a heartbeat that looks fresh for two hours: once it falls silent, it goes stale all the same.
          expect(await renewLease(store.leases, first.lease, behind(3 * HOUR), 'worker-ahead')).toBe(true);
          await sleep(STALE_MS + 100);
          expect(leaseIsFree((await store.leases.get(key))!, STALE_MS, behind())).toBe(true);
          const taken = await acquire(store, key, 'exec-b', STALE_MS, behind());
          expect(taken).toMatchObject({ acquired: true, lease: { owner: 'exec-b', token: 2 } });
          // The silence is measured, never stored.
          expect((await store.leases.get(key))!.silentMs).toBeLessThan(STALE_MS);
        }));

      it('stamps state writes and run creations on the store clock, so "written since that run started" holds whatever the writers\' clocks say (clock skew)', () =>
        withStore('store-stamps', async (store) => {
          // An earlier run on a host an hour ahead wrote its state just before this run was created, by a host an hour behind.
          await store.states.put(state({ updatedAt: new Date(Date.now() + HOUR).toISOString() }));
          await sleep(20);
          await store.runs.create(run({ runId: 'run-behind', startedAt: new Date(Date.now() - HOUR).toISOString() }));
          await sleep(20);
          await store.states.put(state({ computation: 'Later', updatedAt: new Date(Date.now() - HOUR).toISOString() }));
          const created = (await store.runs.get('run-behind'))!.createdAtMs!;
          const before = (await store.states.get('2026-01-26', 'UserPositions'))!.storedAtMs!;
          const after = (await store.states.get('2026-01-26', 'Later'))!.storedAtMs!;
          // By the writers' clocks the order is the other way round.
          expect(before).toBeLessThan(created);
          expect(after).toBeGreaterThan(created);
          // The stamps are the store's: an update keeps the creation time, a writer cannot set them.
          await store.runs.update('run-behind', { status: 'completed', createdAtMs: 1 });
          expect((await store.runs.get('run-behind'))!.createdAtMs).toBe(created);
          await store.states.put({ ...state({ computation: 'Forged' }), storedAtMs: 1 });
          expect((await store.states.get('2026-01-26', 'Forged'))!.storedAtMs).toBeGreaterThan(after);
        }));

      it('takes heartbeats of many holders at once beside the lease: none fails, the latest counts, an old token keeps nothing alive', () =>
        withStore('lease-beats', async (store) => {
          const first = await acquire(store, key, 'exec-a', HOUR, T0);
          if (!first.acquired) throw new Error('expected the lease');
          // 40 holders (the executor's completions, workers on its batches) at once: no transaction, nothing refused.
          const beats = await Promise.all(
            Array.from({ length: 40 }, (_, i) =>
              renewLease(store.leases, first.lease, at(HOUR - 100 + i), `worker-${i}`),
            ),
          );
          expect(beats.every((ok) => ok)).toBe(true);
          expect((await store.leases.get(key))!.heartbeatAt).toBe(at(HOUR - 61).toISOString());
          // A fenced write is not held up by them.
          await store.states.put(state({ resultHash: 'fenced' }), first.lease);
          // Alive through the heartbeats: not taken now, taken once they are older than the staleness.
          expect((await acquire(store, key, 'exec-b', STALE_MS, new Date())).acquired).toBe(false);
          await sleep(STALE_MS + 100);
          const taken = await acquire(store, key, 'exec-b', STALE_MS, new Date());
          if (!taken.acquired) throw new Error('expected takeover');
          // A heartbeat under the old token (a racing zombie) does not refresh the new lease.
          await store.leases.beat(first.lease, 'zombie', at(3 * HOUR).toISOString());
          expect((await store.leases.get(key))!.heartbeatAt).toBeNull();
        }));

      it('frees the lease on release, but only for its current holder', () =>
        withStore('lease-release', async (store) => {
          const first = await acquire(store, key, 'exec-a', HOUR, T0);
          if (!first.acquired) throw new Error('expected the lease');
          await releaseLease(store.leases, { ...first.lease, token: 99 });
          expect((await store.leases.get(key))!.released).toBe(false);
          await releaseLease(store.leases, first.lease);
          expect((await acquire(store, key, 'exec-b', HOUR, at(1))).acquired).toBe(true);
        }));

      it("refuses a stale holder's write by its fencing token", () =>
        withStore('lease-fence', async (store) => {
          const old = await acquire(store, key, 'exec-a', HOUR, T0);
          if (!old.acquired) throw new Error('expected the lease');
          await store.states.put(state({ resultHash: 'by-a' }), old.lease);
          const taken = await acquireLease(store.leases, key, 'exec-b', at(2 * HOUR), () => true);
          if (!taken.acquired) throw new Error('expected takeover');
          await expect(store.states.put(state({ resultHash: 'late-a' }), old.lease)).rejects.toBeInstanceOf(
            StaleLeaseError,
          );
          expect((await store.states.get(key.date, key.computation))!.resultHash).toBe('by-a');
          await store.states.put(state({ resultHash: 'by-b' }), taken.lease);
          expect((await store.states.get(key.date, key.computation))!.resultHash).toBe('by-b');
        }));

      it('writes without a lease only over the state it was decided on (a skip racing another run)', () =>
        withStore('state-version', async (store) => {
          // Nothing stored yet: a write decided on nothing.
          await store.states.put(state({ runId: 'run-a', status: 'completed', updatedAt: at(1000).toISOString() }), {
            updatedAt: null,
          });
          // Run B decided on nothing too, but run A wrote first: B's write is refused and A's state stays.
          await expect(
            store.states.put(state({ runId: 'run-b', status: 'skipped' }), { updatedAt: null }),
          ).rejects.toBeInstanceOf(StaleStateError);
          expect((await store.states.get('2026-01-26', 'UserPositions'))!).toMatchObject({
            runId: 'run-a',
            status: 'completed',
          });
          // Decided on A's state, B writes.
          await store.states.put(state({ runId: 'run-b', status: 'skipped', updatedAt: at(2000).toISOString() }), {
            updatedAt: at(1000).toISOString(),
          });
          expect((await store.states.get('2026-01-26', 'UserPositions'))!.runId).toBe('run-b');
        }));

      it('refuses a write fenced by a released lease, as holdsLease does', () =>
        withStore('lease-fence-released', async (store) => {
          const held = await acquire(store, key, 'exec-a', HOUR, T0);
          if (!held.acquired) throw new Error('expected the lease');
          await store.states.put(state({ resultHash: 'by-a' }), held.lease);
          await releaseLease(store.leases, held.lease);
          expect(holdsLease(await store.leases.get(key), held.lease)).toBe(false);
          await expect(store.states.put(state({ resultHash: 'after-release' }), held.lease)).rejects.toBeInstanceOf(
            StaleLeaseError,
          );
          expect((await store.states.get(key.date, key.computation))!.resultHash).toBe('by-a');
        }));

      it('gives the lease to exactly one of many racing executors', () =>
        withStore('lease-race', async (store) => {
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) => acquire(store, key, `exec-${i}`, HOUR, T0)),
          );
          expect(results.filter((r) => r.acquired)).toHaveLength(1);
          const winner = results.find((r) => r.acquired)!;
          expect((await store.leases.get(key))!.owner).toBe(winner.acquired ? winner.lease.owner : '');
        }));

      it('changes a lease only when the decision says so, and reports what it read', () =>
        withStore('lease-change', async (store) => {
          expect(await store.leases.change(key, () => null)).toEqual({ read: null, written: null });
          const first = await acquire(store, key, 'exec-a', HOUR, T0);
          if (!first.acquired) throw new Error('expected the lease');
          expect(first.lease).toMatchObject({ token: 1, attempt: 1, heartbeatAt: null, released: false });
          const kept = await store.leases.change(key, () => null);
          expect(kept.written).toBeNull();
          expect(storedLease(kept.read!)).toEqual(first.lease);
          // A takeover that adopts attempt 1's plan keeps driving it under token 2.
          const taken = await acquireLease(store.leases, key, 'exec-b', at(2 * HOUR), () => true, 1);
          expect(taken).toMatchObject({
            acquired: true,
            lease: { token: 2, attempt: 1 },
            previous: { owner: 'exec-a' },
          });
          expect(await store.leases.get(key)).toMatchObject({ owner: 'exec-b', token: 2, attempt: 1 });
        }));
    });

    describe('batch ledger', () => {
      const planned = [
        { batchId: 'b000', entityCount: 10, claimed: true },
        { batchId: 'b001', entityCount: 10, claimed: false },
        { batchId: 'b002', entityCount: 5, claimed: false },
      ];
      async function planAll(store: StateStore, batches = planned): Promise<void> {
        await store.ledger.planBatches(ledgerKey, batches);
      }

      it('records planned batches once each, in batch order, until sealed', () =>
        withStore('ledger-plan', async (store) => {
          expect(await store.ledger.getPlan(ledgerKey)).toBeNull();
          await store.ledger.planBatches(ledgerKey, [planned[1]!]);
          await store.ledger.planBatches(ledgerKey, [planned[0]!]);
          // A retried group: the batch already there keeps its first record, the new one is added.
          await store.ledger.planBatches(ledgerKey, [
            { batchId: 'b000', entityCount: 999, claimed: false },
            planned[2]!,
          ]);
          expect(await store.ledger.getPlan(ledgerKey)).toEqual({
            ...ledgerKey,
            batches: planned,
            sealed: false,
            entityCount: 25,
          });
          expect(await store.ledger.isSealed(ledgerKey)).toBe(false);
          await store.ledger.seal(ledgerKey, 25);
          expect(await store.ledger.isSealed(ledgerKey)).toBe(true);
          await store.ledger.seal(ledgerKey, 25);
          expect(await store.ledger.getPlan(ledgerKey)).toEqual({
            ...ledgerKey,
            batches: planned,
            sealed: true,
            entityCount: 25,
          });
          expect(await store.ledger.getPlan({ ...ledgerKey, runId: 'run-2' })).toBeNull();
        }));

      it('claims unpublished batches in batch order, each once however many race for them', () =>
        withStore('ledger-publish', async (store) => {
          const ids = Array.from({ length: 12 }, (_, i) => `b${String(i).padStart(3, '0')}`);
          await planAll(
            store,
            ids.map((batchId, i) => ({ batchId, entityCount: 1, claimed: i < 2 })),
          );
          expect(await store.ledger.claimedCount(ledgerKey)).toBe(2);
          expect(await store.ledger.claimNext(ledgerKey, 3)).toEqual(['b002', 'b003', 'b004']);
          expect(await store.ledger.claimedCount(ledgerKey)).toBe(5);
          const racing = await Promise.all(Array.from({ length: 4 }, () => store.ledger.claimNext(ledgerKey, 2)));
          const won = racing.flat();
          expect(new Set(won).size).toBe(won.length);
          expect(won.length).toBe(7);
          expect(await store.ledger.claimNext(ledgerKey, 5)).toEqual([]);
          expect(await store.ledger.claimedCount(ledgerKey)).toBe(12);
          expect(await store.ledger.claimNext({ ...ledgerKey, runId: 'none' }, 5)).toEqual([]);
          expect((await store.ledger.getPlan(ledgerKey))!.batches.every((b) => b.claimed)).toBe(true);
        }));

      it('records each batch once and sums the counts from the records', () =>
        withStore('ledger-record', async (store) => {
          await planAll(store);
          expect(await store.ledger.record(batch('b000'))).toBe(true);
          expect(await store.ledger.record(batch('b000', { succeeded: 999 }))).toBe(false);
          expect(
            await store.ledger.record(
              batch('b001', { succeeded: 7, failed: 3, errors: [{ entityId: 'u1', error: 'boom' }] }),
            ),
          ).toBe(true);
          expect(await store.ledger.summary(ledgerKey)).toEqual({ completed: 2, succeeded: 17, failed: 3, stored: 18 });
          const records = await store.ledger.batches(ledgerKey);
          expect(records.map((r) => [r.batchId, r.succeeded])).toEqual([
            ['b000', 10],
            ['b001', 7],
          ]);
          expect(records[1]!.errors).toEqual([{ entityId: 'u1', error: 'boom' }]);
          expect(await store.ledger.summary({ ...ledgerKey, runId: 'none' })).toEqual({
            completed: 0,
            succeeded: 0,
            failed: 0,
            stored: 0,
          });
        }));

      it(
        'counts exactly 200 of 200 concurrent completions delivered twice each',
        () =>
          withStore('ledger-concurrent', async (store) => {
            const ids = Array.from({ length: 200 }, (_, i) => `b${String(i).padStart(3, '0')}`);
            await planAll(
              store,
              ids.map((batchId) => ({ batchId, entityCount: 1, claimed: true })),
            );
            const deliveries = [...ids, ...ids].map((id) =>
              store.ledger.record(batch(id, { succeeded: 1, failed: 0, stored: 1 })),
            );
            const created = await Promise.all(deliveries);
            expect(created.filter(Boolean)).toHaveLength(200);
            expect(await store.ledger.summary(ledgerKey)).toEqual({
              completed: 200,
              succeeded: 200,
              failed: 0,
              stored: 200,
            });
          }),
        60_000,
      );

      it('keeps plans and records of two attempts of one computation apart', () =>
        withStore('ledger-attempts', async (store) => {
          const second = { ...ledgerKey, attempt: 2 };
          await store.ledger.planBatches(ledgerKey, [{ batchId: 'b000', entityCount: 4, claimed: true }]);
          await store.ledger.planBatches(second, [{ batchId: 'b000', entityCount: 6, claimed: false }]);
          await store.ledger.record(batch('b000', { succeeded: 4 }));
          expect((await store.ledger.getPlan(second))!.entityCount).toBe(6);
          expect(await store.ledger.summary(second)).toEqual({ completed: 0, succeeded: 0, failed: 0, stored: 0 });
          expect((await store.ledger.summary(ledgerKey)).succeeded).toBe(4);
        }));
    });
  });
}
