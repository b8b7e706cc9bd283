import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { analyzeDates } from '../../../shared/cli/commands/analyze.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { RecordingBigQuery } from '../../support/recording-bigquery.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
afterAll(() => project?.remove());

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
    const client = new RecordingBigQuery();
    client.answers.push([[{ table_name: 'events' }]]);
    client.answers.push([
      [
        { column_name: 'date', data_type: 'DATE', is_nullable: 'YES' },
        { column_name: 'entity_id', data_type: 'STRING', is_nullable: 'YES' },
      ],
    ]);
    client.dryRunStatistics = { totalBytesProcessed: '5000000', totalBytesProcessedAccuracy: 'PRECISE' };
    const warehouse = new BigqueryWarehouse(client, { projectId: 'acme', dataset: 'facts' });
    const reader = new ComputationReader({
      warehouse,
      registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
      project: config,
    });
    const state = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
    const [analysis] = await analyzeDates(manifest, state, reader, ['2026-01-26'], null, false);
    await state.close();
    expect(analysis).toMatchObject({ name: 'Totals', decision: 'run', bytes: 5_000_000 });
    expect(analysis!.reasons).toContain(
      'mandatory tables are checked when it runs (looking now would bill a BigQuery scan)',
    );
    const billed = client.jobs.filter(
      (job) => job.dryRun !== true && !String(job.query).includes('INFORMATION_SCHEMA'),
    );
    expect(billed).toEqual([]);
  });
});
