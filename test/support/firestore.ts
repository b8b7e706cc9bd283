import { Firestore } from '@google-cloud/firestore';

/**
 * A Firestore client talking to the emulator. The emulator variable makes
 * the client skip Google credentials (and the metadata-server lookup).
 */
export function emulatorFirestore(host: string, projectId = 'demo-compute-test'): Firestore {
  process.env.FIRESTORE_EMULATOR_HOST = host;
  // A named universe: the client skips its credentials lookup (a MetadataLookupWarning off Google Cloud).
  return new Firestore({ projectId, universeDomain: 'googleapis.com' });
}
