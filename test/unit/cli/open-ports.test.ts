import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openPorts } from '../../../cli/open-ports.ts';
import { openStateStore } from '../../../cli/wiring.ts';
import { UserError } from '../../../shared/errors.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

const reading = computationSource(
  { name: 'Count', type: 'global', requires: { readings: {} } },
  'return ctx.data.readings.length;',
);

async function projectWith(files: Record<string, string>) {
  project = await tempProject(files);
  const config = await loadProjectConfig(project.root, {});
  return { config, manifest: await requireManifest(config) };
}

describe('openPorts, the one composition root', () => {
  it('opens what each role needs and nothing more: the state alone never touches the warehouse', async () => {
    const { config } = await projectWith({
      'compute.config.json': JSON.stringify({ warehouse: { type: 'duckdb', path: 'missing.duckdb' } }),
      'computations/count.ts': reading,
    });
    const ports = await openPorts(config, 'state');
    expect(await ports.state.runs.list(5)).toEqual([]);
    expect('warehouse' in ports).toBe(false);
    await ports.close();
    expect(existsSync(join(config.root, 'missing.duckdb'))).toBe(false);
    // A role that reads is refused, naming the file, and creates nothing.
    const refused = await openPorts(config, 'inspect').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).code).toBe('WAREHOUSE_NOT_FOUND');
    expect(existsSync(join(config.root, 'missing.duckdb'))).toBe(false);
  });

  it('gives the embedded runtime every service port, its settings from the config, and closes only what it opened', async () => {
    const { config, manifest } = await projectWith({
      'compute.config.json': JSON.stringify({ execution: { leaseTtlSeconds: 60, maxInFlightBatches: 3 } }),
      'computations/hello.ts': computationSource({ name: 'Hello', type: 'global' }),
    });
    const mine = await openStateStore(config, {});
    const opened = await openPorts(manifest, 'embedded', { state: mine });
    expect(opened.ports.settings).toMatchObject({ leaseStaleMs: 60_000, maxInFlightBatches: 3, inlineContextBytes: 0 });
    expect(opened.ports.state).toBe(mine);
    expect(opened.ports.manifest).toBe(manifest);
    // No computation reads a table: the DuckDB file may be created for the results.
    expect(existsSync(join(config.root, 'warehouse.duckdb'))).toBe(true);
    expect(await opened.ports.results.read('Hello', '2026-03-01')).toEqual([]);
    await opened.close();
    // The caller's state store is still open.
    expect(await mine.runs.list(1)).toEqual([]);
    await mine.close();
  });

  it('fits a service to its request timeout, and opens the warehouse only where an executor runs', async () => {
    const { config, manifest } = await projectWith({
      'compute.config.json': JSON.stringify({
        warehouse: { type: 'duckdb', path: 'missing.duckdb' },
        bus: { type: 'pubsub', projectId: 'compute-local' },
      }),
      'computations/count.ts': reading,
    });
    const env = { COMPUTE_REQUEST_TIMEOUT_SECONDS: '300', PUBSUB_EMULATOR_HOST: '127.0.0.1:1' };
    const worker = await openPorts(manifest, 'service', { env, services: ['worker'] });
    expect(worker.settings).toMatchObject({ requestBudgetMs: 270_000, batchTimeoutMs: 270_000 });
    expect(worker.reader).toBeUndefined();
    await worker.close();
    const executor = await openPorts(manifest, 'service', { env, services: ['executor'] }).catch((e: unknown) => e);
    expect((executor as UserError).code).toBe('WAREHOUSE_NOT_FOUND');
    // The same settings outside a service: no request timeout applies.
    const state = await openPorts(config, 'state', { env });
    expect(state.settings.requestBudgetMs).toBeNull();
    await state.close();
    // A worker thread: state, blobs and the manifest, neither warehouse nor bus (its bus is the parent's).
    const thread = await openPorts(manifest, 'thread', { env });
    expect(Object.keys(thread).sort()).toEqual(
      ['blobs', 'clock', 'close', 'log', 'manifest', 'project', 'settings', 'state', 'versionScopes'].sort(),
    );
    await thread.blobs.put('probe/one.json', '{}');
    expect(existsSync(join(config.root, '.compute/blobs/probe/one.json'))).toBe(true);
    await thread.close();
    await expect(openPorts(config, 'service', { env })).rejects.toThrow(
      "openPorts(service) needs the project's manifest",
    );
  });

  it('refuses clearly when another process holds the state file locked (a compute run stopped while creating it)', async () => {
    const { config } = await projectWith({
      'computations/hello.ts': computationSource({ name: 'Hello', type: 'global' }),
    });
    const path = join(config.root, '.compute/state.sqlite');
    mkdirSync(dirname(path), { recursive: true });
    // The chaos test's paused executor (seed 2540279): SIGSTOP while its first open of the file held the lock.
    const holder = new DatabaseSync(path);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const refused = await openStateStore(config, {}).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(UserError);
      expect((refused as UserError).code).toBe('PROJECT_BUSY');
      expect((refused as UserError).message).toContain(`The state file ${path} is locked by another process`);
    } finally {
      holder.close();
    }
    // Let go of, it opens.
    await (await openStateStore(config, {})).close();
  }, 30_000);
});
