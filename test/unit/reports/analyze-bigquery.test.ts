import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { analyzeDates } from '../../../shared/reports/analyze.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { FakeBigQuery } from '../../support/fake-bigquery/server.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
let fake: FakeBigQuery | undefined;
afterAll(async () => {
  await project?.remove();
  await fake?.close();
});

describe('analyze on BigQuery', () => {
  it('prices the run with a dry run and bills no scan to look for empty mandatory tables', async () => {
    project = await tempProject({
      'computations/t.js': computationSource({
        name: 'Totals',
        type: 'per-entity',
        requires: { events: { mandatory: true } },
      }),
    });
    const config = await loadProjectConfig(project.root);
    const manifest = await requireManifest(config);
    fake = await FakeBigQuery.start('acme');
    await fake.dataset('facts');
    await fake.table('facts', 'events', {
      columns: { date: 'DATE', entity_id: 'STRING' },
      rows: [{ date: '2026-01-26', entity_id: 'e1' }],
    });
    const warehouse = new BigqueryWarehouse(fake.client(), { projectId: 'acme', dataset: 'facts' });
    const reader = new ComputationReader({
      warehouse,
      registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
      project: config,
    });
    const state = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
    const [analysis] = await analyzeDates(manifest, state, reader, ['2026-01-26'], null, false);
    await state.close();
    // The fake prices a scan at 8 bytes per cell: 1 row of 2 columns.
    expect(analysis).toMatchObject({ name: 'Totals', decision: 'run', bytes: 16 });
    expect(analysis!.reasons).toContain(
      'mandatory tables are checked when it runs (looking now would bill a BigQuery scan)',
    );
    const billed = fake.queryJobs
      .map((job) => (job.configuration.query as { query: string }).query)
      .filter((sql) => !sql.includes('INFORMATION_SCHEMA'));
    expect(billed).toEqual([]);
  });
});
