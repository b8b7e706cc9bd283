import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { emulatorMissing, startEmulator, type Emulator } from '../support/emulators.ts';
import { computationSource, tempProject, type TempProject } from '../support/temp-project.ts';

/**
 * A project whose (default) database is in Datastore mode (older App Engine
 * projects) cannot hold the state there. The Firestore emulator started in
 * Datastore mode refuses the Firestore API as the real one does (with other
 * words); the CLI says so at once, with the fix, instead of failing every call.
 */
const missing = emulatorMissing('firestore');
let datastore: Emulator | undefined;
let native: Emulator | undefined;
let dir: TempProject;
if (missing === null) {
  beforeAll(async () => {
    [datastore, native] = await Promise.all([
      startEmulator('firestore', ['--database-mode=datastore-mode']),
      startEmulator('firestore'),
    ]);
    dir = await tempProject({
      'compute.config.json': JSON.stringify({ state: { type: 'firestore', projectId: 'demo-compute-mode' } }),
      'computations/totals.ts': computationSource({ name: 'Totals', type: 'global', requires: {} }),
    });
  }, 120_000);
  afterAll(async () => {
    delete process.env.FIRESTORE_EMULATOR_HOST;
    await Promise.all([datastore?.stop(), native?.stop(), dir?.remove()]);
  });
}

describe.skipIf(Boolean(missing))('the state on a Firestore database in Datastore mode', () => {
  it('is refused when the store opens, naming the setting that picks another database', async () => {
    process.env.FIRESTORE_EMULATOR_HOST = datastore!.host;
    const result = await cli(['status', '--project', dir.root]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'The Firestore database (default) is in Datastore mode; the state needs a database in Native mode. Name another database: state.databaseId in compute.config.json (COMPUTE_STATE), or firestore_database_id = "compute" in deploy/terraform.tfvars',
    );
  }, 60_000);

  it('while a database in Native mode opens and answers as before', async () => {
    process.env.FIRESTORE_EMULATOR_HOST = native!.host;
    const result = await cli(['status', '--json', '--project', dir.root]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      computations: [{ name: 'Totals', status: 'pending' }],
      runs: [],
    });
  }, 60_000);
});
