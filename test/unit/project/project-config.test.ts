import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../shared/errors.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function load(config: string, env: Record<string, string> = {}) {
  project = await tempProject({ 'compute.config.json': config }, { link: false });
  return loadProjectConfig(project.root, env);
}

async function failure(config: string, env: Record<string, string> = {}): Promise<UserError> {
  const error = await load(config, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('loadProjectConfig', () => {
  it('fills the embedded defaults', async () => {
    const config = await load('{}');
    expect(config).toMatchObject({
      computations: 'computations',
      epoch: 0,
      entityField: 'entity_id',
      dateField: 'date',
      batchSize: 1000,
      warehouse: { type: 'duckdb', path: 'warehouse.duckdb' },
      state: { type: 'embedded' },
      blobs: { type: 'local' },
      bus: { type: 'inprocess' },
    });
    expect(config.root).toBe(project!.root);
  });

  it('applies COMPUTE_* overrides from the environment', async () => {
    const config = await load('{"epoch": 1}', {
      COMPUTE_EPOCH: '4',
      COMPUTE_BATCH_SIZE: '50',
      COMPUTE_WAREHOUSE: '{"type":"bigquery","projectId":"p","dataset":"d"}',
    });
    expect(config.epoch).toBe(4);
    expect(config.batchSize).toBe(50);
    expect(config.warehouse).toEqual({ type: 'bigquery', projectId: 'p', dataset: 'd' });
  });

  it('names a misspelt key and suggests the right one', async () => {
    expect((await failure('{"batchsize": 10}')).message).toContain(
      "field 'batchsize' is not a known option. Did you mean 'batchSize'?",
    );
  });

  it('names each bad field', async () => {
    const error = await failure('{"batchSize": 0, "warehouse": {"type": "snowflake"}}');
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain("field 'batchSize' must be at least 1");
    expect(error.message).toContain("field 'warehouse.type' must be one of 'duckdb', 'bigquery'");
  });

  it('says where it looked when the file is missing', async () => {
    project = await tempProject({}, { link: false });
    const { rm } = await import('node:fs/promises');
    await rm(`${project.root}/compute.config.json`);
    const error = (await loadProjectConfig(project.root).catch((e: unknown) => e)) as UserError;
    expect(error.code).toBe('CONFIG_MISSING');
    expect(error.message).toContain(project.root);
  });

  it('reports invalid JSON and a bad JSON override', async () => {
    expect((await failure('{"epoch": }')).message).toContain('is not valid JSON');
    expect((await failure('{}', { COMPUTE_STATE: 'firestore' })).message).toContain('COMPUTE_STATE must hold JSON');
  });
});

describe('the Google Cloud project of Pub/Sub and Firestore', () => {
  const cloud = JSON.stringify({ bus: { type: 'pubsub' }, state: { type: 'firestore' } });

  it('comes from the config first, then GOOGLE_CLOUD_PROJECT, then the emulator variables', async () => {
    const own = await load(
      JSON.stringify({ bus: { type: 'pubsub', projectId: 'mine' }, state: { type: 'firestore', projectId: 'mine' } }),
      { GOOGLE_CLOUD_PROJECT: 'env-project' },
    );
    expect([own.bus, own.state]).toMatchObject([{ projectId: 'mine' }, { projectId: 'mine' }]);
    const named = await load(cloud, { GOOGLE_CLOUD_PROJECT: 'env-project', PUBSUB_PROJECT_ID: 'emu' });
    expect([named.bus, named.state]).toMatchObject([{ projectId: 'env-project' }, { projectId: 'env-project' }]);
    const emulated = await load(cloud, { PUBSUB_PROJECT_ID: 'emu', FIRESTORE_EMULATOR_HOST: '127.0.0.1:1' });
    expect([emulated.bus, emulated.state]).toMatchObject([{ projectId: 'emu' }, { projectId: 'compute-local' }]);
  });

  it('is left to the metadata server (as on Cloud Run) when nothing names it and no emulator is set', async () => {
    const config = await load(cloud);
    expect(config.bus).toEqual({ type: 'pubsub' });
    expect(config.state).toEqual({ type: 'firestore' });
  });
});
