import { Firestore } from '@google-cloud/firestore';

/**
 * A Firestore client talking to the emulator. The emulator variable makes
 * the client skip Google credentials (and the metadata-server lookup).
 */
export function emulatorFirestore(host: string, projectId = 'demo-compute-test'): Firestore {
  process.env.FIRESTORE_EMULATOR_HOST = host;
  return new Firestore({ projectId });
}
