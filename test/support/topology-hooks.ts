import { afterAll, afterEach, beforeAll } from 'vitest';
import { startEmulator, type Emulator } from './emulators.ts';
import { startTopology, type Topology, type TopologyOptions } from './topology.ts';

/**
 * For a describe block on the emulator topology: starts the Pub/Sub and
 * Firestore emulators once, and closes after each test the topology it
 * started with `start`.
 */
export function topologyPerTest(): { start(options?: TopologyOptions): Promise<Topology> } {
  let pubsub: Emulator | undefined;
  let firestore: Emulator | undefined;
  let topology: Topology | undefined;
  beforeAll(async () => {
    [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    // In-process clients of the tests (publishing a run message) use it too.
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  }, 120_000);
  afterEach(async () => {
    await topology?.close();
    topology = undefined;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pubsub?.stop(), firestore?.stop()]);
    delete process.env.PUBSUB_EMULATOR_HOST;
  }, 60_000);
  return {
    start: async (options) => {
      topology = await startTopology(pubsub!, firestore!, options);
      return topology;
    },
  };
}
