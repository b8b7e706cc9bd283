import { join } from 'node:path';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import type { Manifest } from '../../../shared/manifest/manifest.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { tempProject, type TempProject } from '../temp-project.ts';
import { FakeBigQuery } from './server.ts';

/** A project read over the BigQuery fake: its computations, the fake's `facts.events`, a reader and an SQLite state store. */
export interface FakeBigqueryProject {
  project: TempProject;
  manifest: Manifest;
  fake: FakeBigQuery;
  reader: ComputationReader;
  store: SqliteStateStore;
  close(): Promise<void>;
}

/**
 * A temporary project with `files`, its reader on a real BigQuery client
 * talking to the fake (project `acme`, dataset `facts`), which holds one
 * `events` row (entity e1) on `eventDate`.
 */
export async function fakeBigqueryProject(
  files: Record<string, string>,
  eventDate: string,
): Promise<FakeBigqueryProject> {
  const project = await tempProject(files);
  const config = await loadProjectConfig(project.root);
  const manifest = await requireManifest(config);
  const fake = await FakeBigQuery.start('acme');
  await fake.dataset('facts');
  await fake.table('facts', 'events', {
    columns: { date: 'DATE', entity_id: 'STRING' },
    rows: [{ date: eventDate, entity_id: 'e1' }],
  });
  const warehouse = new BigqueryWarehouse(fake.client(), { projectId: 'acme', dataset: 'facts' });
  const reader = new ComputationReader({
    warehouse,
    registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
    project: config,
  });
  const store = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
  return {
    project,
    manifest,
    fake,
    reader,
    store,
    close: async () => {
      await store.close();
      await fake.close();
      await project.remove();
    },
  };
}
