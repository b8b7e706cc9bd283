import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { BigqueryResultStore } from '../../shared/adapters/bigquery/bigquery-results.ts';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { attemptOf } from '../../shared/state/leases.ts';
import { emulatorMissing, uniqueName } from '../support/emulators.ts';
import { emulatorsPerFile } from '../support/topology-hooks.ts';
import { FakeBigQuery } from '../support/fake-bigquery/server.ts';
import { standInWarehouse } from '../support/fake-bigquery/storage-read.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { roundRobinProxy } from '../support/round-robin-proxy.ts';
import { computationFile } from '../support/scenario.ts';
import { tempProject } from '../support/temp-project.ts';
import { bootstrap, PROJECT_ID, runMessage, serve, stop, type Service, type Topology } from '../support/topology.ts';

const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

/**
 * Issue 25 item 5, a paused executor: two planner+executor processes behind
 * one front end (as two Cloud Run instances), two workers, the Pub/Sub and
 * Firestore emulators and BigQuery as the REST fake (so a second executor
 * reaches the warehouse while the first is stopped). One executor is
 * stopped with SIGSTOP at a chosen point. The pushes it holds come back at
 * their deadline: the front end answers 504 at the request timeout, as
 * Cloud Run does (the emulator alone would wait for the answer forever,
 * holding its two push slots, which no production push does). The other
 * process goes on; no sweep runs. Then the stopped one is let go (SIGCONT):
 * whatever it was doing meets work already done, and changes nothing stored.
 */
const DATE = '2026-03-02';
const PROJECT = 'paused-project';
const ENTITIES = 40;
/** Short, so a test takes a minute or two, not the production 600 s and 300 s. */
const ACK_DEADLINE_S = 10;
const LEASE_TTL_S = 5;

const id = (i: number) => `u${String(i).padStart(3, '0')}`;

/** Each entity i has rows qty = i and i + 1. */
const expected = (i: number) => ({ qty: 2 * i + 1 });

interface Scene {
  executors: Service[];
  store: FirestoreStateStore;
  topology: Topology;
}

describe.skipIf(missing !== null)('a paused executor (SIGSTOP) on the emulators', () => {
  const emulators = emulatorsPerFile();
  let fake: FakeBigQuery;

  beforeAll(async () => {
    fake = await FakeBigQuery.start(PROJECT);
    await fake.dataset('facts', 'US');
    await fake.table('facts', 'trades', { columns: { date: 'DATE', user_id: 'STRING', qty: 'INT64' } });
    await fake.modify(
      `INSERT INTO "facts"."trades" SELECT DATE '${DATE}', 'u' || lpad(CAST(r % ${ENTITIES} AS VARCHAR), 3, '0'), r % ${ENTITIES} + r // ${ENTITIES} FROM range(${2 * ENTITIES}) t(r)`,
    );
  }, 120_000);

  afterAll(async () => {
    await fake?.close();
  }, 60_000);

  /**
   * Runs the date with `pauseWhich` choosing the executor to stop (polled
   * every 100 ms until it names one), then checks the run and the stored
   * values; returns how long after the stop the run completed.
   */
  async function pausedRun(pauseWhich: (scene: Scene) => Promise<Service | undefined>): Promise<number> {
    const prefix = uniqueName('paused');
    const results = prefix.replace(/-/g, '_');
    await fake.dataset(results, 'US');
    const project = await tempProject({
      'compute.config.json': JSON.stringify({
        entityField: 'user_id',
        batchSize: 4,
        state: { type: 'firestore', projectId: PROJECT_ID, collectionPrefix: prefix },
        bus: { type: 'pubsub', projectId: PROJECT_ID, topicPrefix: prefix },
        warehouse: standInWarehouse(fake, results),
        execution: { leaseTtlSeconds: LEASE_TTL_S, maxInFlightBatches: 2 },
      }),
      'computations/Positions.js': computationFile(
        'Positions',
        { type: 'per-entity', requires: { trades: { mandatory: true } } },
        'await new Promise((r) => setTimeout(r, 150)); return { qty: ctx.data.trades.reduce((s, r) => s + r.qty, 0) };',
      ),
      'computations/Book.js': computationFile(
        'Book',
        { type: 'global', dependencies: ['Positions'] },
        "const all = ctx.getDependency('Positions'); return { qty: Object.values(all).reduce((s, p) => s + p.qty, 0), entities: Object.keys(all).length };",
      ),
    });
    const env = emulators.env;
    const executors = await Promise.all([
      serve(project.root, 'planner,executor', env),
      serve(project.root, 'planner,executor', env),
    ]);
    const workers = await Promise.all([serve(project.root, 'worker', env), serve(project.root, 'worker', env)]);
    // Cloud Run's front end ends a request at the service's timeout (Terraform: the executors' ack deadline).
    const front = await roundRobinProxy(
      executors.map((e) => e.url),
      { timeoutMs: ACK_DEADLINE_S * 1000 },
    );
    const balancer = await roundRobinProxy(workers.map((w) => w.url));
    const store = new FirestoreStateStore(emulatorFirestore(emulators.firestore.host, PROJECT_ID), {
      collectionPrefix: prefix,
    });
    let paused: Service | undefined;
    try {
      await bootstrap(project.root, { executor: front.url, worker: balancer.url }, env);
      // The executors' push deadline, short for the test.
      const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
      const [subscriptions] = await client.getSubscriptions();
      for (const subscription of subscriptions)
        if (subscription.name.includes(`${prefix}-`) && !subscription.name.endsWith('-to-worker'))
          await subscription.setMetadata({ ackDeadlineSeconds: ACK_DEADLINE_S });
      await client.close();

      const topology = { prefix, store, executor: executors[0] } as unknown as Topology;
      const running = runMessage(topology, { date: DATE }, 240_000);
      const waitUntil = Date.now() + 60_000;
      while (paused === undefined && Date.now() < waitUntil) {
        paused = await pauseWhich({ executors, store, topology });
        if (paused === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(paused, 'the point to stop an executor at never came').toBeDefined();
      paused!.child.kill('SIGSTOP');
      const pausedAt = Date.now();
      // No sweep runs: the pushes the stopped process holds come back at their deadline and the other one goes on.
      const { status } = await running;
      const took = Date.now() - pausedAt;
      const states = await store.states.list();
      if (status !== 'completed')
        for (const e of executors)
          process.stderr.write(
            `executor ${e.child.pid}${e === paused ? ' (paused)' : ''}:\n${e.stdout
              .slice(-25)
              .map((l) => l.slice(0, 400))
              .join('\n')}\n`,
          );
      expect(status, states.map((s) => `${s.computation}=${s.status} ${s.reason ?? ''}`).join('\n')).toBe('completed');

      // The resumed executor meets work done under a lease it no longer holds: nothing stored changes.
      const before = await store.states.list();
      paused!.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, (ACK_DEADLINE_S + 5) * 1000));
      const after = await store.states.list();
      const view = (list: typeof before) =>
        list.map((s) => [s.computation, s.status, s.resultHash, s.runId, s.updatedAt]);
      expect(view(after)).toEqual(view(before));

      const stored = new BigqueryResultStore(fake.client(), {
        projectId: PROJECT,
        dataset: 'facts',
        resultsDataset: results,
      });
      const seen: string[] = [];
      for await (const chunk of stored.stream('Positions', DATE))
        for (const { entityId, result } of chunk) {
          expect(result).toEqual(expected(Number(String(entityId).slice(1))));
          seen.push(String(entityId));
        }
      // Every entity once: none lost, none stored twice.
      expect(seen).toEqual(Array.from({ length: ENTITIES }, (_, i) => id(i)));
      expect(states.find((s) => s.computation === 'Positions')!.counts).toMatchObject({
        planned: ENTITIES,
        succeeded: ENTITIES,
        failed: 0,
      });
      const book: unknown[] = [];
      for await (const chunk of stored.stream('Book', DATE)) book.push(...chunk.map((c) => c.result));
      expect(book).toEqual([{ qty: ENTITIES * ENTITIES, entities: ENTITIES }]);
      process.stderr.write(`paused executor: the run completed ${(took / 1000).toFixed(1)} s after the stop\n`);
      return took;
    } finally {
      paused?.child.kill('SIGCONT');
      await Promise.all([...executors, ...workers].map((s) => stop(s)));
      await front.close();
      await balancer.close();
      await store.close();
      await project.remove();
    }
  }

  it('stopped mid-fan-out while holding the lease: the other executor drives the fan-out on under it', async () => {
    const took = await pausedRun(async ({ executors, store }) => {
      // Once one executor holds Positions' lease and some, not all, of its batches are done.
      const held = await store.leases.get({ computation: 'Positions', date: DATE });
      const state = await store.states.get(DATE, 'Positions');
      if (held === null || held.released || state?.status !== 'running' || state.runId === null) return undefined;
      const key = { runId: state.runId, computation: 'Positions', date: DATE, attempt: attemptOf(held) };
      if ((await store.ledger.summary(key)).completed < 2) return undefined;
      return executors.find((e) => e.child.pid === Number(held.owner.split(':')[1]));
    });
    // Each push the front end hands the stopped process costs its 10 s deadline (half of them, round robin).
    expect(took).toBeLessThan(200_000);
  }, 300_000);

  it('stopped while storing the results (finalization claimed): a redelivered completion takes the quiet lease over and finalizes', async () => {
    // A slow load job, so the stop lands while the results are being stored.
    fake.uploadDelayMs = 4_000;
    try {
      const took = await pausedRun(async ({ executors }) =>
        executors.find((e) => e.stdout.some((line) => line.includes('Storing the results of Positions'))),
      );
      // The completion comes back at its deadline (10 s), finds the lease stale (5 s) and finalizes again.
      // Before: it was acknowledged (the finalization claimed) and the run waited for a sweep that never came.
      expect(took).toBeLessThan(200_000);
    } finally {
      fake.uploadDelayMs = 0;
    }
  }, 300_000);
});
