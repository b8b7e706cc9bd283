import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { executionSchema } from './execution-settings.ts';

/** Dates one request may span when the project does not say. (Default of the `maxRunDays` setting) */
export const DEFAULT_MAX_RUN_DAYS = 3660;
import { describeIssues } from '../util/zod-problems.ts';

export const CONFIG_FILE = 'compute.config.json';

const duckdbWarehouse = z
  .object({
    type: z.literal('duckdb'),
    /** DuckDB file, relative to the project folder. (Default: 'warehouse.duckdb') */
    path: z.string().min(1).default('warehouse.duckdb'),
    /** DuckDB memory limit such as '512MB'; larger sorts spill to disk. (Default: DuckDB's, 80% of RAM) */
    memoryLimit: z
      .string()
      .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "must be a size such as '512MB' or '2GB'")
      .optional(),
    /** DuckDB worker threads. (Default: one per core) */
    threads: z.number().int().min(1).optional(),
  })
  .strict();

const bigqueryWarehouse = z
  .object({
    type: z.literal('bigquery'),
    projectId: z.string().min(1, 'must name the Google Cloud project'),
    dataset: z.string().min(1, 'must name the BigQuery dataset'),
    /** Dataset location, e.g. 'EU'. (Default: the dataset's own) */
    location: z.string().min(1).optional(),
    /** Dataset for result tables. (Default: the same dataset) */
    resultsDataset: z.string().min(1).optional(),
    /** Location of the results dataset, when it differs from `location`. (Default: `location`) */
    resultsLocation: z.string().min(1).optional(),
    /** Refuse queries that would bill more bytes than this. (Default: no limit) */
    maximumBytesBilled: z.number().int().positive().optional(),
    /** Folder results are spooled to before their load job (on Cloud Run, the module's size-limited volume). (Default: the OS temp folder) */
    spoolDir: z.string().min(1).optional(),
    /**
     * Another BigQuery REST endpoint; a plain http:// one is a local
     * stand-in and is sent no credentials. (Default: Google's)
     */
    apiEndpoint: z.url().optional(),
    /** Workers read large per-entity windows themselves, through the Storage Read API (README "Scaling past one executor"). (Default: off) */
    shardedReads: z
      .object({
        /** Dataset for the scratch tables, in the source dataset's location; the Terraform module makes it. */
        scratchDataset: z.string().min(1, 'must name the scratch dataset'),
        /** Per-entity reads whose dry run bills fewer bytes take the executor's path. (Default: 67108864, 64 MiB) */
        minBytes: z.number().int().min(0).optional(),
        /** Another Storage Read API endpoint as host:port; a loopback one is a local stand-in, spoken to in plaintext without credentials. (Default: Google's) */
        storageEndpoint: z
          .string()
          .regex(/^[A-Za-z0-9.-]+:\d+$/, 'must be host:port')
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const embeddedState = z
  .object({
    type: z.literal('embedded'),
    /** State file, relative to the project folder. (Default: '.compute/state.sqlite') */
    path: z.string().min(1).optional(),
    /** Days runs and their history are kept; each run's start purges older ones. (Default: 90) */
    historyDays: z.number().int().min(1).optional(),
  })
  .strict();

const firestoreState = z
  .object({
    type: z.literal('firestore'),
    projectId: z.string().min(1).optional(),
    databaseId: z.string().min(1).optional(),
    /** Prefix of every collection name. (Default: 'compute') */
    collectionPrefix: z.string().min(1).optional(),
    /** Days runs, leases and batch ledgers are kept after their last write; a Firestore TTL policy deletes them after (the Terraform module sets it). (Default: 90) */
    historyDays: z.number().int().min(1).optional(),
  })
  .strict();

const localBlobs = z
  .object({
    type: z.literal('local'),
    /** Folder, relative to the project folder. (Default: '.compute/blobs') */
    path: z.string().min(1).optional(),
  })
  .strict();

const gcsBlobs = z
  .object({ type: z.literal('gcs'), bucket: z.string().min(1), prefix: z.string().optional() })
  .strict();

const inprocessBus = z
  .object({
    type: z.literal('inprocess'),
    /** Worker threads processing batches beside the main thread; 0 processes them on the main thread. (Default: 1 on a machine with 2 or more cores, else 0) */
    workerThreads: z.number().int().min(0).max(64).optional(),
  })
  .strict();
const pubsubBus = z
  .object({
    type: z.literal('pubsub'),
    projectId: z.string().min(1).optional(),
    /** Prefix of every topic name. (Default: 'compute') */
    topicPrefix: z.string().min(1).optional(),
  })
  .strict();

/** Tunables of runs, declared with their units and defaults in execution-settings.ts. */
const execution = executionSchema();

const kind = (options: string) => ({ error: `must be one of ${options}` });

export const projectConfigSchema = z
  .object({
    /** Folder of computation files. (Default: 'computations') */
    computations: z.string().min(1).default('computations'),
    /** Folder of rule modules, exposed as ctx.rules.NAME. (Default: 'rules') */
    rules: z.string().min(1).default('rules'),
    /** Folder of shared layer modules whose hashes enter composite hashes. (Default: 'layers') */
    layers: z.string().min(1).default('layers'),
    /** Part of every composite hash: bump it to re-run everything. (Default: 0) */
    epoch: z.number({ error: 'must be a number' }).int('must be a whole number').min(0).default(0),
    /** Default entity column of required tables. (Default: 'entity_id') */
    entityField: z.string().min(1).default('entity_id'),
    /** Default date column of required tables. (Default: 'date') */
    dateField: z.string().min(1).default('date'),
    /**
     * Whether the rows a computation reads are versioned into its composite
     * hash (requires.TABLE.version overrides it per table). (Default: true)
     */
    inputVersions: z.boolean({ error: 'must be true or false' }).default(true),
    /** Entities per batch of a per-entity computation. (Default: 1000) */
    batchSize: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100_000, 'must be at most 100000')
      .default(1000),
    /**
     * Dates one run request (CLI, management API, runs-topic message) may
     * span; beyond it the request is refused, naming this setting. (Default: 3660)
     */
    maxRunDays: z
      .number({ error: 'must be a number of dates' })
      .int('must be a whole number of dates')
      .min(1, 'must be at least 1')
      .default(DEFAULT_MAX_RUN_DAYS),
    /**
     * Dates before its date a scheduled run (or `compute run --repair`)
     * re-examines: late data, partial and failed computation-dates,
     * historical chains carried forward. 0 turns the repair window off. (Default: 7)
     */
    repairDays: z
      .number({ error: 'must be a number of days' })
      .int('must be a whole number of days')
      .min(0, 'must be 0 (off) or more')
      .max(3660, 'must be at most 3660 days')
      .default(7),
    /**
     * Seconds the computation files may take to import and answer
     * getConfig(): past it, the command stops naming the file (a loop at
     * import, a top-level await that never settles). (Default: 30)
     */
    loadTimeoutSeconds: z
      .number({ error: 'must be a number of seconds' })
      .positive('must be above 0')
      .max(3600, 'must be at most 3600')
      .optional(),
    warehouse: z
      .discriminatedUnion('type', [duckdbWarehouse, bigqueryWarehouse], kind("'duckdb', 'bigquery'"))
      .default({ type: 'duckdb', path: 'warehouse.duckdb' }),
    state: z
      .discriminatedUnion('type', [embeddedState, firestoreState], kind("'embedded', 'firestore'"))
      .default({ type: 'embedded' }),
    blobs: z.discriminatedUnion('type', [localBlobs, gcsBlobs], kind("'local', 'gcs'")).default({ type: 'local' }),
    bus: z
      .discriminatedUnion('type', [inprocessBus, pubsubBus], kind("'inprocess', 'pubsub'"))
      .default({ type: 'inprocess' }),
    /** Tunables of runs: leases, circuit breaker, fan-out, time limits. (Default: see EXECUTION_SETTINGS, each key's own) */
    execution: execution.default({}),
  })
  .strict();

export type ProjectConfigInput = z.input<typeof projectConfigSchema>;
export type ProjectSettings = z.output<typeof projectConfigSchema>;

/** A project's settings with the folder they apply to. */
export interface ProjectConfig extends ProjectSettings {
  /** Absolute project folder. */
  root: string;
}

const TOP_LEVEL_KEYS = Object.keys(projectConfigSchema.shape);

/**
 * Environment overrides: COMPUTE_EPOCH=3, COMPUTE_BATCH_SIZE=500, and JSON
 * for the adapters, e.g. COMPUTE_WAREHOUSE='{"type":"bigquery",...}'.
 */
const ENV_OVERRIDES: Record<string, { key: string; parse: 'number' | 'string' | 'json' }> = {
  COMPUTE_COMPUTATIONS: { key: 'computations', parse: 'string' },
  COMPUTE_RULES: { key: 'rules', parse: 'string' },
  COMPUTE_LAYERS: { key: 'layers', parse: 'string' },
  COMPUTE_EPOCH: { key: 'epoch', parse: 'number' },
  COMPUTE_ENTITY_FIELD: { key: 'entityField', parse: 'string' },
  COMPUTE_DATE_FIELD: { key: 'dateField', parse: 'string' },
  COMPUTE_BATCH_SIZE: { key: 'batchSize', parse: 'number' },
  COMPUTE_MAX_RUN_DAYS: { key: 'maxRunDays', parse: 'number' },
  COMPUTE_REPAIR_DAYS: { key: 'repairDays', parse: 'number' },
  COMPUTE_LOAD_TIMEOUT_SECONDS: { key: 'loadTimeoutSeconds', parse: 'number' },
  COMPUTE_INPUT_VERSIONS: { key: 'inputVersions', parse: 'json' },
  COMPUTE_WAREHOUSE: { key: 'warehouse', parse: 'json' },
  COMPUTE_STATE: { key: 'state', parse: 'json' },
  COMPUTE_BLOBS: { key: 'blobs', parse: 'json' },
  COMPUTE_BUS: { key: 'bus', parse: 'json' },
  COMPUTE_EXECUTION: { key: 'execution', parse: 'json' },
};

function applyEnv(
  raw: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> {
  const merged = { ...raw };
  for (const [name, { key, parse }] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (parse === 'string') merged[key] = value;
    else if (parse === 'number') merged[key] = Number(value);
    else {
      try {
        merged[key] = JSON.parse(value);
      } catch (cause) {
        throw new UserError(
          'CONFIG_INVALID',
          `Environment variable ${name} must hold JSON, e.g. ${name}='{"type":"..."}'; got: ${value}`,
          { cause },
        );
      }
    }
  }
  return merged;
}

/** Checks raw settings (from a file or code) and fills the defaults. */
export function parseProjectConfig(raw: unknown, root: string, source = CONFIG_FILE): ProjectConfig {
  const result = projectConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = describeIssues(result.error, (path) => (path.length === 0 ? TOP_LEVEL_KEYS : []));
    throw new UserError('CONFIG_INVALID', `${source} is invalid:\n  - ${lines.join('\n  - ')}`, {
      problems: lines.map((message) => ({ code: 'CONFIG_INVALID', message: `${source}: ${message}`, file: source })),
    });
  }
  return { ...result.data, root: resolve(root) };
}

/**
 * Reads `compute.config.json` from a project folder, applies COMPUTE_*
 * overrides from `env`, and checks the result. A missing file is an error
 * that says which folder was searched.
 */
export async function loadProjectConfig(
  root: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<ProjectConfig> {
  const file = join(resolve(root), CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(
        'CONFIG_MISSING',
        `No ${CONFIG_FILE} in ${resolve(root)}. Run the command inside a project folder or pass --project DIR.`,
        { cause },
      );
    }
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EACCES' || code === 'EPERM')
      throw new UserError(
        'CONFIG_INVALID',
        `${file} cannot be read: ${code === 'EISDIR' ? 'it is a folder, not a file' : 'permission denied'}. It must be a JSON file such as {"computations": "computations"}.`,
        { cause },
      );
    throw cause;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new UserError('CONFIG_INVALID', `${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError('CONFIG_INVALID', `${file} must hold a JSON object such as {"computations": "computations"}`);
  }
  return withCloudProject(parseProjectConfig(applyEnv(raw as Record<string, unknown>, env), root, file), env);
}

/** Project id of the emulators when nothing names one: any id works there, if every process uses the same. */
export const EMULATOR_PROJECT_ID = 'compute-local';

/**
 * Fills the Google Cloud project of Pub/Sub and Firestore when the config
 * leaves it out: GOOGLE_CLOUD_PROJECT (or GCLOUD_PROJECT), then the
 * emulator's own variable (PUBSUB_PROJECT_ID, FIRESTORE_PROJECT_ID), then,
 * on an emulator, a fixed id. Left unset elsewhere, the client asks the
 * metadata server, as it should on Cloud Run; on a laptop that lookup fails
 * with a warning that says nothing useful.
 */
function withCloudProject(config: ProjectConfig, env: Readonly<Record<string, string | undefined>>): ProjectConfig {
  const named = env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || undefined;
  const pick = (own: string | undefined, emulatorHost: string | undefined) =>
    named ?? (own || undefined) ?? (emulatorHost ? EMULATOR_PROJECT_ID : undefined);
  let { bus, state } = config;
  if (bus.type === 'pubsub' && bus.projectId === undefined) {
    const projectId = pick(env.PUBSUB_PROJECT_ID, env.PUBSUB_EMULATOR_HOST);
    if (projectId !== undefined) bus = { ...bus, projectId };
  }
  if (state.type === 'firestore' && state.projectId === undefined) {
    const projectId = pick(env.FIRESTORE_PROJECT_ID, env.FIRESTORE_EMULATOR_HOST);
    if (projectId !== undefined) state = { ...state, projectId };
  }
  return bus === config.bus && state === config.state ? config : { ...config, bus, state };
}
