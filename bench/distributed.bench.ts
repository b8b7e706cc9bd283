import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PubSub } from '@google-cloud/pubsub';
import { emulatorMissing, startEmulator } from '../test/support/emulators.ts';
import { runManually, startTopology, PROJECT_ID } from '../test/support/topology.ts';
import { result, type Bench, type BenchResult } from './harness.ts';

const D = '2026-01-26';

/** Raw rate: the client publishes `count` messages of `size` bytes to a topic pushed to a bare HTTP server that acks each. */
async function rawRate(count: number, size: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(204).end();
      if (++received === count) done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new PubSub({ projectId: PROJECT_ID });
  const name = `raw-${Date.now()}`;
  const [topic] = await client.createTopic(name);
  await topic.createSubscription(`${name}-push`, { pushConfig: { pushEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` } });
  const payload = Buffer.alloc(size, 'x');
  const start = performance.now();
  await Promise.all(Array.from({ length: count }, () => topic.publishMessage({ data: payload })));
  await all;
  const seconds = (performance.now() - start) / 1000;
  await client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return count / seconds;
}

export const distributedBench: Bench = {
  name: 'distributed',
  async run(): Promise<BenchResult[]> {
    const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
    if (missing !== null) throw new Error(`distributed benchmark needs the emulators: ${missing}`);
    const [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    try {
      // 400 entities in batches of 10 on one date: 40 batches each of three per-entity computations.
      const topology = await startTopology(pubsub, firestore, { entities: 400, execution: { maxInFlightBatches: 64 } });
      let batches = 0;
      let seconds = 0;
      try {
        const start = performance.now();
        const run = await runManually(topology, [D], 300_000);
        seconds = (performance.now() - start) / 1000;
        if (run.status !== 'completed') throw new Error(`the benchmark run ended ${run.status}`);
        const states = await topology.store.states.list(D);
        batches = states.reduce((sum, s) => sum + (s.counts !== null && s.computation !== 'Summary' ? Math.ceil(s.counts.planned / 10) : 0), 0);
      } finally {
        await topology.close();
      }
      // batch.ready messages are about 350 bytes (a claim check, not the data).
      const raw = await rawRate(batches, 350);
      return [
        result({
          name: 'distributed-batches',
          subject: `batches per second through planner+executor and two workers on the emulators (${batches} batches, 3 per-entity computations in 2 passes)`,
          baseline: 'the raw client publishing and receiving as many 350-byte messages by push',
          unit: 'ops/s',
          value: batches / seconds,
          baselineValue: raw,
          target: '>= 30% of the raw rate',
          minRatio: 0.3,
          notes: `run took ${seconds.toFixed(1)} s end to end, including the planner's passes and the global computation`,
        }),
      ];
    } finally {
      delete process.env.PUBSUB_EMULATOR_HOST;
      await Promise.all([pubsub.stop(), firestore.stop()]);
    }
  },
};
