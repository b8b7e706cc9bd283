import type { Firestore } from '@google-cloud/firestore';
import type { ShardedReads } from '../shared/ports/sharded-reads.ts';
import { access, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UserError } from '../shared/errors.ts';
import { nearestName } from '../shared/util/nearest.ts';
import { SqliteStateStore } from '../shared/adapters/embedded/sqlite-state-store.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import type { ResultStore, Warehouse } from '../shared/ports/warehouse.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import type { ProjectConfig } from '../shared/project/project-config.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../shared/warehouse/schema-registry.ts';
import { explainBusyWarehouse, explainLockedState } from './busy-project.ts';

/** Default embedded state file, inside the project's `.compute/` folder. */
export const DEFAULT_STATE_PATH = '.compute/state.sqlite';

/**
 * Opens the state store a project's config names. Cloud clients are built
 * here, for the composition root (openPorts), and handed to the adapters.
 * `env`: the process's environment, which openPorts passes. (Default:
 * process.env, for tests that open a store alone)
 */
export async function openStateStore(
  project: ProjectConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<StateStore> {
  const config = project.state;
  if (config.type === 'embedded') {
    const path = resolve(project.root, config.path ?? DEFAULT_STATE_PATH);
    try {
      return new SqliteStateStore(path, config.historyDays === undefined ? {} : { historyDays: config.historyDays });
    } catch (error) {
      throw explainLockedState(error, path);
    }
  }
  const [{ Firestore }, { FirestoreStateStore }] = await Promise.all([
    import('@google-cloud/firestore'),
    import('../shared/adapters/firestore/firestore-state-store.ts'),
  ]);
  const db = new Firestore({
    ...(config.projectId === undefined ? {} : { projectId: config.projectId }),
    ...(config.databaseId === undefined ? {} : { databaseId: config.databaseId }),
    // On the emulator: no credentials lookup (and no MetadataLookupWarning) before the first call.
    ...(env.FIRESTORE_EMULATOR_HOST ? { universeDomain: 'googleapis.com' } : {}),
  });
  await refuseDatastoreMode(db, config.databaseId ?? '(default)');
  return new FirestoreStateStore(db, {
    ...(config.collectionPrefix === undefined ? {} : { collectionPrefix: config.collectionPrefix }),
    ...(config.historyDays === undefined ? {} : { historyDays: config.historyDays }),
  });
}

/** How Firestore (and its emulator) refuse the Firestore API on a database in Datastore mode. */
const DATASTORE_MODE = /Datastore Mode|Database mode not set to Firestore Mode/i;

/**
 * A database in Datastore mode cannot hold the state: one read says so at
 * once, with the fix, instead of every later call failing. Other errors
 * are left to the calls that meet them.
 */
async function refuseDatastoreMode(db: Firestore, databaseId: string): Promise<void> {
  try {
    await db.collection('compute-probe').doc('mode').get();
  } catch (error) {
    if (!DATASTORE_MODE.test((error as Error).message ?? '')) return;
    await db.terminate();
    throw new UserError(
      'CONFIG_INVALID',
      `The Firestore database ${databaseId} is in Datastore mode; the state needs a database in Native mode. Name another database: state.databaseId in compute.config.json (COMPUTE_STATE), or firestore_database_id = "compute" in deploy/terraform.tfvars, which makes the module create it.`,
      { cause: error },
    );
  }
}

/**
 * Opening the warehouse never creates it: DuckDB would make an empty file at
 * a mistyped path, and every computation would then report missing tables.
 */
async function requireWarehouseFile(path: string, configured: string, project: ProjectConfig): Promise<void> {
  try {
    await access(path);
    return;
  } catch {
    // Named below, with what the config says and what is there instead.
  }
  const folder = dirname(path);
  const candidates = await readdir(folder).then(
    (names) => names.filter((name) => name.endsWith('.duckdb')),
    () => [] as string[],
  );
  const nearest = nearestName(basename(path), candidates);
  const hint =
    nearest !== undefined
      ? ` Did you mean '${relative(project.root, join(folder, nearest))}'?`
      : candidates.length > 0
        ? ` DuckDB files there: ${candidates.join(', ')}.`
        : '';
  throw new UserError(
    'WAREHOUSE_NOT_FOUND',
    `The DuckDB warehouse file ${path} does not exist: warehouse.path is '${configured}' (compute.config.json, or COMPUTE_WAREHOUSE), relative to the project folder ${project.root}.${hint} Fix the path, or create the file with your tables first.`,
  );
}

/** The warehouse a project's config names, with its result store. */
export interface OpenWarehouse {
  warehouse: Warehouse;
  results: ResultStore;
  /** Sharded reads, when configured (BigQuery only). */
  shards?: ShardedReads | undefined;
  close(): Promise<void>;
}

/**
 * Whether a missing DuckDB warehouse file may be created: no computation
 * reads a table, so the file would only hold results.
 */
export function readsNoTable(manifest: Manifest): boolean {
  return manifest.computations.every((entry) => Object.keys(entry.config.requires).length === 0);
}

/**
 * Opens the warehouse a project's config names. `create`: a missing DuckDB
 * file may be created (see readsNoTable). (Default: false)
 */
export async function openWarehouse(
  project: ProjectConfig,
  options: { create?: boolean } = {},
): Promise<OpenWarehouse> {
  const config = project.warehouse;
  if (config.type === 'duckdb') {
    const [{ openDuckdb, DuckdbWarehouse }, { DuckdbResultStore }] = await Promise.all([
      import('../shared/adapters/duckdb/duckdb-warehouse.ts'),
      import('../shared/adapters/duckdb/duckdb-results.ts'),
    ]);
    const path = resolve(project.root, config.path);
    if (options.create !== true) await requireWarehouseFile(path, config.path, project);
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
    import('../shared/adapters/bigquery/bigquery-warehouse.ts'),
    import('../shared/adapters/bigquery/bigquery-results.ts'),
  ]);
  const client = new BigQuery({
    projectId: config.projectId,
    ...(config.location === undefined ? {} : { location: config.location }),
    ...(config.apiEndpoint === undefined ? {} : { apiEndpoint: config.apiEndpoint }),
    ...(config.apiEndpoint?.startsWith('http://') === true ? { authClient: NO_CREDENTIALS } : {}),
  });
  const location = {
    projectId: config.projectId,
    dataset: config.dataset,
    resultsDataset: config.resultsDataset,
    location: config.location,
    resultsLocation: config.resultsLocation,
    maximumBytesBilled: config.maximumBytesBilled,
    spoolDir: config.spoolDir,
  };
  return {
    warehouse: new BigqueryWarehouse(client, location),
    results: new BigqueryResultStore(client, location),
    shards: await openShardedReads(project),
    close: async () => undefined,
  };
}

/** What a client sends a local stand-in (plain http, loopback gRPC): a token no one checks. */
const NO_CREDENTIALS = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer local-stand-in' }),
} as never;

/**
 * Sharded reads, when the project's BigQuery warehouse configures them
 * (warehouse.shardedReads): the executor writes scratch tables with query
 * jobs, workers read their shards through the Storage Read API. Workers
 * open only this, never the warehouse.
 */
export async function openShardedReads(project: ProjectConfig): Promise<ShardedReads | undefined> {
  const config = project.warehouse;
  if (config.type !== 'bigquery' || config.shardedReads === undefined) return undefined;
  const sharded = config.shardedReads;
  const [{ BigQuery }, { BigQueryReadClient }, grpc, { StorageReader }, { BigqueryShardedReads }] = await Promise.all([
    import('@google-cloud/bigquery'),
    import('@google-cloud/bigquery-storage'),
    import('@grpc/grpc-js'),
    import('../shared/adapters/bigquery/storage-reader.ts'),
    import('../shared/adapters/bigquery/sharded-reads.ts'),
  ]);
  const local = config.apiEndpoint?.startsWith('http://') === true;
  const client = new BigQuery({
    projectId: config.projectId,
    ...(config.location === undefined ? {} : { location: config.location }),
    ...(config.apiEndpoint === undefined ? {} : { apiEndpoint: config.apiEndpoint }),
    ...(local ? { authClient: NO_CREDENTIALS } : {}),
  });
  const endpoint = sharded.storageEndpoint;
  const loopback = endpoint !== undefined && /^(127\.0\.0\.1|localhost):/.test(endpoint);
  const read = new BigQueryReadClient({
    projectId: config.projectId,
    ...(endpoint === undefined
      ? {}
      : {
          apiEndpoint: endpoint.slice(0, endpoint.lastIndexOf(':')),
          port: Number(endpoint.slice(endpoint.lastIndexOf(':') + 1)),
        }),
    ...(loopback ? { sslCreds: grpc.credentials.createInsecure(), authClient: NO_CREDENTIALS } : {}),
  });
  return new BigqueryShardedReads(
    client,
    {
      projectId: config.projectId,
      dataset: config.dataset,
      location: config.location,
      maximumBytesBilled: config.maximumBytesBilled,
    },
    new StorageReader(read, { billingProject: config.projectId }),
    {
      scratchDataset: sharded.scratchDataset,
      ...(sharded.minBytes === undefined ? {} : { minBytes: sharded.minBytes }),
    },
  );
}

/** The warehouse with a schema registry and a reader over it, for commands that query. */
export async function openReader(
  project: ProjectConfig,
  options: { create?: boolean; clock?: Clock } = {},
): Promise<OpenWarehouse & { reader: ComputationReader }> {
  const opened = await openWarehouse(project, options);
  const reader = new ComputationReader({
    warehouse: opened.warehouse,
    registry: new SchemaRegistry(opened.warehouse, { clock: options.clock ?? systemClock }),
    project,
  });
  return { ...opened, reader };
}
