import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import { repairWindow, scanRepairWindow } from '../../../shared/plan/repair.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { versionScope } from '../../../shared/plan/input-versions.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { state } from '../../contract/state-store.contract.ts';
import { FakeBigQuery } from '../../support/fake-bigquery/server.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
let fake: FakeBigQuery | undefined;
afterAll(async () => {
  await project?.remove();
  await fake?.close();
});

describe('the repair window on BigQuery', () => {
  it('looks at 7 dates of two computations with one metadata query and no scan', async () => {
    project = await tempProject({
      'computations/a.js': computationSource({ name: 'Totals', type: 'per-entity', requires: { events: {} } }),
      'computations/b.js': computationSource({ name: 'Weekly', type: 'global', requires: { events: { lookback: 6 } } }),
    });
    const config = await loadProjectConfig(project.root);
    const manifest = await requireManifest(config);
    fake = await FakeBigQuery.start('acme');
    await fake.dataset('facts');
    await fake.table('facts', 'events', {
      columns: { date: 'DATE', entity_id: 'STRING' },
      rows: [{ date: '2026-01-20', entity_id: 'e1' }],
    });
    const warehouse = new BigqueryWarehouse(fake.client(), { projectId: 'acme', dataset: 'facts' });
    const reader = new ComputationReader({
      warehouse,
      registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
      project: config,
    });
    const store = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
    const window = repairWindow(['2026-01-26'], 7);
    expect(window).toEqual([
      '2026-01-19',
      '2026-01-20',
      '2026-01-21',
      '2026-01-22',
      '2026-01-23',
      '2026-01-24',
      '2026-01-25',
    ]);
    // One partial state in the window: the scan names it, and only it.
    await store.states.put(
      state({
        computation: 'Totals',
        date: '2026-01-22',
        status: 'partial',
        counts: { planned: 3, succeeded: 2, failed: 1, stored: 2 },
      }),
    );
    const scope = versionScope(manifest);
    const items = await scanRepairWindow({ manifest, state: store, reader }, window, ['Totals', 'Weekly'], scope);
    await store.close();
    expect(items).toEqual([{ date: '2026-01-22', name: 'Totals', reason: 'it is partial' }]);
    const sent = fake.queryJobs.map((job) => (job.configuration.query as { query: string }).query);
    expect(
      sent.filter((sql) => sql.includes('INFORMATION_SCHEMA.PARTITIONS') || sql.includes('__TABLES__')),
    ).toHaveLength(scope.queries);
    expect(scope.queries).toBe(1);
    expect(sent.filter((sql) => !sql.includes('INFORMATION_SCHEMA'))).toEqual([]);
  });
});
