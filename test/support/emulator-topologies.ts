import { afterAll, afterEach, beforeAll } from 'vitest';
import { startEmulator, type Emulator } from './emulators.ts';
import { startTopology, type Topology, type TopologyOptions } from './topology.ts';

/**
 * For a describe block of topology tests: starts the Pub/Sub and Firestore
 * emulators once, closes the topology each test started, stops the
 * emulators at the end. `start` starts a test's topology.
 */
export function emulatorTopologies(): { start(options?: TopologyOptions): Promise<Topology> } {
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
  });
  afterAll(async () => {
    await pubsub?.stop();
    await firestore?.stop();
  });
  return { start: async (options = {}) => (topology = await startTopology(pubsub!, firestore!, options)) };
}
