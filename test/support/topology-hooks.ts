import { afterAll, afterEach, beforeAll } from 'vitest';
import { startEmulator, type Emulator } from './emulators.ts';
import { startTopology, type Topology, type TopologyOptions } from './topology.ts';

/** The two emulators of a describe block, read once its beforeAll ran. */
export interface Emulators {
  readonly pubsub: Emulator;
  readonly firestore: Emulator;
  /** What a service process needs to reach both. */
  readonly env: Record<string, string>;
}

/**
 * For a describe block on the emulators: starts the Pub/Sub and Firestore
 * emulators before the block's own beforeAll hooks (call it first), points
 * this process's Pub/Sub clients at the emulator (a test publishing a run
 * message), and stops both after the block's own afterAll hooks.
 */
export function emulatorsPerFile(): Emulators {
  let pubsub: Emulator | undefined;
  let firestore: Emulator | undefined;
  beforeAll(async () => {
    [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([pubsub?.stop(), firestore?.stop()]);
    delete process.env.PUBSUB_EMULATOR_HOST;
  }, 60_000);
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the emulators start in beforeAll: read them inside a hook or a test');
    return value;
  };
  return {
    get pubsub() {
      return started(pubsub);
    },
    get firestore() {
      return started(firestore);
    },
    get env() {
      return { PUBSUB_EMULATOR_HOST: started(pubsub).host, FIRESTORE_EMULATOR_HOST: started(firestore).host };
    },
  };
}

/**
 * For a describe block on the emulator topology: starts the emulators once
 * (emulatorsPerFile), and closes after each test the topology it started
 * with `start`.
 */
export function topologyPerTest(): { start(options?: TopologyOptions): Promise<Topology> } {
  const emulators = emulatorsPerFile();
  let topology: Topology | undefined;
  afterEach(async () => {
    await topology?.close();
    topology = undefined;
  }, 60_000);
  return {
    start: async (options) => {
      topology = await startTopology(emulators.pubsub, emulators.firestore, options);
      return topology;
    },
  };
}
