import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.ts';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { emulatorMissing, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { stateStoreContract } from './state-store.contract.ts';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'compute-state-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

stateStoreContract(
  'embedded (SQLite file)',
  async (name) => new SqliteStateStore(join(folder, `${uniqueName(name)}.sqlite`)),
);

const missing = emulatorMissing('firestore');
let emulator: Emulator | undefined;
if (missing === null) {
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
  }, 120_000);
  afterAll(() => emulator?.stop());
}

stateStoreContract(
  'Firestore (emulator)',
  async (name) => new FirestoreStateStore(emulatorFirestore(emulator!.host), { collectionPrefix: uniqueName(name) }),
  { skip: missing },
);
