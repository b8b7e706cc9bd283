import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_CLIENT_OPTIONS } from '../cli/pubsub-wiring.ts';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { emulatorMissing, startEmulator, type Emulator } from '../test/support/emulators.ts';
import { emulatorFirestore } from '../test/support/firestore.ts';
import { runManually, startTopology, PROJECT_ID } from '../test/support/topology.ts';
import { result, type Bench, type BenchResult } from './harness.ts';

/** The first date warms the emulators' JIT and the services up; the next two are measured. */
const WARM_UP = '2026-01-25';
const MEASURED = ['2026-01-26', '2026-01-27'];
/** 1,000 entities in batches of 10: 100 batches each of three per-entity computations per date. */
const ENTITIES = 1000;
/** batch.ready messages are about this size (a claim check: names, hashes and ids, not the data). */
const MESSAGE_BYTES = 350;

/**
 * Messages per second through one push subscription to a bare HTTP
 * server: the client publishes `count` messages of `size` bytes and the
 * server answers each after `handle` (nothing, for the raw rate).
 */
async function pushRate(
  client: PubSub,
  label: string,
  count: number,
  size: number,
  handle: () => Promise<void>,
): Promise<number> {
  let received = 0;
  let done!: () => void;
  let failed!: (error: Error) => void;
  const all = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      handle().then(
        () => {
          response.writeHead(204).end();
          if (++received === count) done();
        },
        (error: unknown) => {
          response.writeHead(500).end();
          failed(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const name = `${label}-${Date.now()}`;
  const [topic] = await client.createTopic(name);
  await topic.createSubscription(`${name}-push`, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` },
  });
  const payload = Buffer.alloc(size, 'x');
  const start = performance.now();
  await Promise.all(Array.from({ length: count }, () => topic.publishMessage({ data: payload })));
  await all;
  const seconds = (performance.now() - start) / 1000;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return count / seconds;
}

/**
 * The least a push handler of any at-least-once design does per batch here:
 * one Firestore document created (the batch's record) and one awaited
 * publish (its completion), before answering.
 */
async function floorRate(client: PubSub, firestore: Emulator, count: number, size: number): Promise<number> {
  const db = emulatorFirestore(firestore.host, PROJECT_ID);
  const [completions] = await client.createTopic(`floor-completions-${Date.now()}`);
  const out: Topic = client.topic(completions.name, { batching: { maxMilliseconds: 1 } });
  const records = db.collection(`floor-${Date.now()}`);
  let next = 0;
  try {
    return await pushRate(client, 'floor', count, size, async () => {
      const id = next++;
      await records
        .doc(`b${id}`)
        .create({ batchId: `b${id}`, succeeded: 10, failed: 0, stored: 10, recordedAt: new Date().toISOString() });
      await out.publishMessage({ data: Buffer.alloc(200, 'y') });
    });
  } finally {
    await db.terminate();
  }
}

export const distributedBench: Bench = {
  name: 'distributed',
  async run(): Promise<BenchResult[]> {
    const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
    if (missing !== null) throw new Error(`distributed benchmark needs the emulators: ${missing}`);
    const [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    try {
      const topology = await startTopology(pubsub, firestore, {
        entities: ENTITIES,
        dates: [WARM_UP, ...MEASURED],
        execution: { maxInFlightBatches: 64 },
      });
      let batches = 0;
      let seconds = Infinity;
      const runs: string[] = [];
      try {
        const warm = await runManually(topology, [WARM_UP], 300_000);
        if (warm.status !== 'completed') throw new Error(`the warm-up run ended ${warm.status}`);
        for (const date of MEASURED) {
          const start = performance.now();
          const run = await runManually(topology, [date], 300_000);
          const took = (performance.now() - start) / 1000;
          if (run.status !== 'completed') throw new Error(`the benchmark run on ${date} ended ${run.status}`);
          runs.push(`${took.toFixed(2)} s`);
          seconds = Math.min(seconds, took);
          const states = await topology.store.states.list(date);
          batches = states.reduce(
            (sum, s) => sum + (s.counts !== null && s.computation !== 'Summary' ? Math.ceil(s.counts.planned / 10) : 0),
            0,
          );
        }
      } finally {
        await topology.close();
      }
      const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
      let raw = 0;
      let floor = 0;
      try {
        raw = await pushRate(client, 'raw', batches, MESSAGE_BYTES, async () => undefined);
        floor = await floorRate(client, firestore, batches, MESSAGE_BYTES);
      } finally {
        await client.close();
      }
      const rate = batches / seconds;
      const subject = `batches per second through planner+executor and two workers on the emulators (${batches} batches of 10 entities, 3 per-entity computations in 2 passes, then a global one)`;
      const notes = `best of ${runs.length} warm runs (${runs.join(', ')}), each end to end from the run message: passes, fan-out, finalization and the global computation`;
      return [
        result({
          name: 'distributed-batches',
          subject,
          baseline: `the raw client publishing ${batches} ${MESSAGE_BYTES}-byte messages to a push subscription whose endpoint only acknowledges`,
          unit: 'ops/s',
          value: rate,
          baselineValue: raw,
          // Information only: the emulator's two-at-a-time push puts the raw rate out of reach of any design
          // that does per-batch work (issue 11 restated the target against the floor below).
          target: null,
          notes,
        }),
        result({
          name: 'distributed-batches-vs-floor',
          subject,
          baseline:
            'the same push subscription whose endpoint first creates one Firestore document and publishes one message (the least an at-least-once batch needs)',
          unit: 'ops/s',
          value: rate,
          baselineValue: floor,
          target: '>= 50% of the floor rate',
          minRatio: 0.5,
          notes:
            'the emulator pushes at most two messages at a time per subscription, so any per-message work divides the raw rate',
        }),
      ];
    } finally {
      delete process.env.PUBSUB_EMULATOR_HOST;
      await Promise.all([pubsub.stop(), firestore.stop()]);
    }
  },
};
