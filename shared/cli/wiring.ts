import { resolve } from 'node:path';
import { SqliteStateStore } from '../adapters/embedded/sqlite-state-store.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { ResultStore, Warehouse } from '../ports/warehouse.ts';
import type { ProjectConfig } from '../project/project-config.ts';
import { systemClock } from '../ports/clock.ts';
import { ComputationReader } from '../warehouse/computation-reader.ts';
import { SchemaRegistry } from '../warehouse/schema-registry.ts';
import { explainBusyWarehouse } from './busy-project.ts';

/** Default embedded state file, inside the project's `.compute/` folder. */
export const DEFAULT_STATE_PATH = '.compute/state.sqlite';

/**
 * Opens the state store a project's config names. Cloud clients are built
 * here, in the composition root, and handed to the adapters.
 */
export async function openStateStore(project: ProjectConfig): Promise<StateStore> {
  const config = project.state;
  if (config.type === 'embedded') return new SqliteStateStore(resolve(project.root, config.path ?? DEFAULT_STATE_PATH));
  const [{ Firestore }, { FirestoreStateStore }] = await Promise.all([
    import('@google-cloud/firestore'),
    import('../adapters/firestore/firestore-state-store.ts'),
  ]);
  const db = new Firestore({
    ...(config.projectId === undefined ? {} : { projectId: config.projectId }),
    ...(config.databaseId === undefined ? {} : { databaseId: config.databaseId }),
  });
  return new FirestoreStateStore(
    db,
    config.collectionPrefix === undefined ? {} : { collectionPrefix: config.collectionPrefix },
  );
}

/** The warehouse a project's config names, with its result store. */
export interface OpenWarehouse {
  warehouse: Warehouse;
  results: ResultStore;
  close(): Promise<void>;
}

export async function openWarehouse(project: ProjectConfig): Promise<OpenWarehouse> {
  const config = project.warehouse;
  if (config.type === 'duckdb') {
    const [{ openDuckdb, DuckdbWarehouse }, { DuckdbResultStore }] = await Promise.all([
      import('../adapters/duckdb/duckdb-warehouse.ts'),
      import('../adapters/duckdb/duckdb-results.ts'),
    ]);
    const path = resolve(project.root, config.path);
    const instance = await openDuckdb(path, { memoryLimit: config.memoryLimit, threads: config.threads }).catch(
      (error: unknown) => {
        throw explainBusyWarehouse(error, path);
      },
    );
    const warehouse = new DuckdbWarehouse(instance);
    return {
      warehouse,
      results: new DuckdbResultStore(instance),
      close: async () => {
        await warehouse.close();
        instance.closeSync();
      },
    };
  }
  const [{ BigQuery }, { BigqueryWarehouse }, { BigqueryResultStore }] = await Promise.all([
    import('@google-cloud/bigquery'),
    import('../adapters/bigquery/bigquery-warehouse.ts'),
    import('../adapters/bigquery/bigquery-results.ts'),
  ]);
  const client = new BigQuery({
    projectId: config.projectId,
    ...(config.location === undefined ? {} : { location: config.location }),
  });
  const location = {
    projectId: config.projectId,
    dataset: config.dataset,
    resultsDataset: config.resultsDataset,
    location: config.location,
    maximumBytesBilled: config.maximumBytesBilled,
  };
  return {
    warehouse: new BigqueryWarehouse(client as never, location),
    results: new BigqueryResultStore(client as never, location),
    close: async () => undefined,
  };
}

/** The warehouse with a schema registry and a reader over it, for commands that query. */
export async function openReader(project: ProjectConfig): Promise<OpenWarehouse & { reader: ComputationReader }> {
  const opened = await openWarehouse(project);
  const reader = new ComputationReader({
    warehouse: opened.warehouse,
    registry: new SchemaRegistry(opened.warehouse, { clock: systemClock }),
    project,
  });
  return { ...opened, reader };
}
