import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigqueryResultStore } from '../../shared/adapters/bigquery/bigquery-results.ts';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { emulatorMissing, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { FakeBigQuery } from '../support/fake-bigquery/server.ts';
import { FakeStorageRead, standInWarehouse } from '../support/fake-bigquery/storage-read.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { roundRobinProxy } from '../support/round-robin-proxy.ts';
import { computationFile } from '../support/scenario.ts';
import { tempProject, type TempProject } from '../support/temp-project.ts';
import { bootstrap, PROJECT_ID, runMessage, serve, stop, type Service, type Topology } from '../support/topology.ts';

const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

/**
 * The services on the Pub/Sub and Firestore emulators, BigQuery as the REST
 * fake and the Storage Read stand-in: a per-entity computation over ROWS
 * rows of ENTITIES entities, planner+executor in one process and two
 * workers, once with sharded reads and once through the executor (today's
 * path), in the same run. Every stored value is checked; the executor's
 * peak memory and the bytes it wrote per batch are reported for both.
 * The suite runs 50,000 rows / 5,000 entities; `npm run scale:sharded`
 * runs 1,000,000 / 100,000 (SHARD_SCALE_ROWS, SHARD_SCALE_ENTITIES).
 */
const ROWS = Number(process.env.SHARD_SCALE_ROWS ?? 50_000);
const ENTITIES = Number(process.env.SHARD_SCALE_ENTITIES ?? 5_000);
const DATE = '2026-03-02';
const PROJECT = 'scale-project';

const id = (i: number) => `u${String(i).padStart(6, '0')}`;

/** The expected result of entity i: its rows are r = i, i + E, i + 2E, ... with qty r % 97. */
function expected(i: number): { n: number; qty: number } {
  let n = 0;
  let qty = 0;
  for (let r = i; r < ROWS; r += ENTITIES) {
    n++;
    qty += r % 97;
  }
  return { n, qty };
}

interface PathRun {
  status: string;
  seconds: number;
  peakRssMiB: number;
  batches: number;
  contextBytesPerBatch: number;
}

/** Peak resident memory of a process (VmHWM), in MiB. */
async function peakRss(service: Service): Promise<number> {
  const status = await readFile(`/proc/${service.child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe.skipIf(missing !== null)(
  `sharded reads at scale on the emulators (${ROWS} rows, ${ENTITIES} entities)`,
  () => {
    let pubsub: Emulator;
    let firestore: Emulator;
    let fake: FakeBigQuery;
    let stand: FakeStorageRead;
    const projects: TempProject[] = [];
    const runs: Record<string, PathRun> = {};

    async function runPath(sharded: boolean): Promise<PathRun> {
      const prefix = uniqueName(sharded ? 'shard' : 'rest');
      const results = sharded ? 'sharded_results' : 'rest_results';
      const config = {
        entityField: 'user_id',
        batchSize: 1000,
        state: { type: 'firestore', projectId: PROJECT_ID, collectionPrefix: prefix },
        bus: { type: 'pubsub', projectId: PROJECT_ID, topicPrefix: prefix },
        warehouse: standInWarehouse(fake, results, sharded ? stand : undefined),
      };
      const project = await tempProject({
        'compute.config.json': JSON.stringify(config),
        'computations/Positions.js': computationFile(
          'Positions',
          { type: 'per-entity', requires: { trades: { mandatory: true } } },
          'return { n: ctx.data.trades.length, qty: ctx.data.trades.reduce((s, r) => s + r.qty, 0) };',
        ),
      });
      projects.push(project);
      const env = { PUBSUB_EMULATOR_HOST: pubsub.host, FIRESTORE_EMULATOR_HOST: firestore.host };
      const [executor, ...workers] = await Promise.all([
        serve(project.root, 'planner,executor', env),
        serve(project.root, 'worker', env),
        serve(project.root, 'worker', env),
      ]);
      const balancer = await roundRobinProxy(workers.map((w) => w.url));
      const front = await roundRobinProxy([executor.url]);
      const store = new FirestoreStateStore(emulatorFirestore(firestore.host, PROJECT_ID), {
        collectionPrefix: prefix,
      });
      try {
        await bootstrap(project.root, { executor: front.url, worker: balancer.url }, env);
        const started = Date.now();
        const topology = { prefix, store, executor } as unknown as Topology;
        const { status } = await runMessage(topology, { date: DATE }, 280_000);
        const seconds = (Date.now() - started) / 1000;
        const fanned = executor.stdout
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => String(line.message).startsWith('Fanned Positions out'));
        return {
          status,
          seconds,
          peakRssMiB: await peakRss(executor),
          batches: Number(fanned?.batches),
          contextBytesPerBatch: Number(fanned?.contextBytes) / Number(fanned?.batches),
        };
      } finally {
        await Promise.all([executor, ...workers].map((s) => stop(s)));
        await balancer.close();
        await front.close();
        await store.close();
      }
    }

    beforeAll(async () => {
      [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
      // bootstrap and the run message publish from this process.
      process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
      fake = await FakeBigQuery.start(PROJECT);
      stand = await FakeStorageRead.start(fake);
      for (const dataset of ['facts', 'sharded_results', 'rest_results', 'scratch']) await fake.dataset(dataset, 'US');
      await fake.table('facts', 'trades', {
        columns: { date: 'DATE', user_id: 'STRING', qty: 'INT64', price: 'FLOAT64' },
      });
      await fake.modify(
        `INSERT INTO "facts"."trades" SELECT DATE '${DATE}', 'u' || lpad(CAST(r % ${ENTITIES} AS VARCHAR), 6, '0'), r % 97, r / 100 FROM range(${ROWS}) t(r)`,
      );
      runs.sharded = await runPath(true);
      runs.rest = await runPath(false);
      process.stderr.write(`sharded reads at ${ROWS} rows / ${ENTITIES} entities: ${JSON.stringify(runs)}\n`);
    }, 600_000);

    afterAll(async () => {
      await Promise.all(projects.map((p) => p.remove()));
      await stand?.close();
      await fake?.close();
      await Promise.all([pubsub?.stop(), firestore?.stop()]);
    });

    it('completes on both paths, every entity with the right values', async () => {
      expect(runs.sharded!.status).toBe('completed');
      expect(runs.rest!.status).toBe('completed');
      for (const dataset of ['sharded_results', 'rest_results']) {
        const store = new BigqueryResultStore(fake.client(), {
          projectId: PROJECT,
          dataset: 'facts',
          resultsDataset: dataset,
        });
        let i = 0;
        for await (const chunk of store.stream('Positions', DATE))
          for (const { entityId, result } of chunk) {
            expect(entityId).toBe(id(i));
            expect(result).toEqual(expected(i));
            i++;
          }
        expect(i, dataset).toBe(ENTITIES);
      }
    });

    it('keeps the executor out of the rows: small batches, the same batch count', () => {
      expect(runs.sharded!.batches).toBe(Math.ceil(ENTITIES / 1000));
      expect(runs.rest!.batches).toBe(runs.sharded!.batches);
      // A shard batch names a key range; today's batch carries every row of 1,000 entities.
      expect(runs.sharded!.contextBytesPerBatch).toBeLessThan(1024);
      expect(runs.rest!.contextBytesPerBatch).toBeGreaterThan(50 * runs.sharded!.contextBytesPerBatch);
    });
  },
);
