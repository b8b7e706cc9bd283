// vitest globalSetup: one Pub/Sub and one Firestore emulator for the whole
// run, shared by every test file through startEmulator (each file keeps its
// own topic and collection prefixes). Starting a pair per file cost about a
// minute of two cores' time per run. COMPUTE_TEST_OWN_EMULATORS=1 gives each
// file its own again.
import { emulatorMissing, startEmulator, SHARED_EMULATOR_ENV, type Emulator } from './emulators.ts';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.COMPUTE_TEST_OWN_EMULATORS === '1') return undefined;
  const kinds = (['pubsub', 'firestore'] as const).filter((kind) => emulatorMissing(kind) === null);
  const started: Emulator[] = await Promise.all(kinds.map((kind) => startEmulator(kind)));
  kinds.forEach((kind, i) => (process.env[SHARED_EMULATOR_ENV[kind]] = started[i]!.host));
  return async () => {
    await Promise.all(started.map((emulator) => emulator.stop()));
  };
}
