import { UserError } from '../shared/errors.ts';
import { InProcessBus, type InProcessBusOptions } from '../shared/adapters/inprocess/inprocess-bus.ts';
import { silentLogger } from '../shared/logging/logger.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import type { BlobStore } from '../shared/ports/blob-store.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { Logger } from '../shared/ports/logger.ts';
import type { ShardedReads } from '../shared/ports/sharded-reads.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import type { ResultStore, Warehouse } from '../shared/ports/warehouse.ts';
import type { ProjectConfig } from '../shared/project/project-config.ts';
import { RunVersionScopes } from '../shared/plan/input-versions.ts';
import { newOwnerId } from '../shared/state/owner.ts';
import { settingsFor, type RuntimeSettings, type ServicePorts } from '../shared/runtime/service-ports.ts';
import type { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import { openBlobStore } from './blob-wiring.ts';
import { openPubSubBus } from './pubsub-wiring.ts';
import { openReader, openShardedReads, openStateStore, readsNoTable, type OpenWarehouse } from './wiring.ts';

/**
 * What a process is, and so which adapters it opens:
 * - `embedded`: `compute run` and the embedded sweep: every port, over the in-process bus.
 * - `service`: `compute serve`: state, Pub/Sub, blobs; the warehouse only where an executor runs.
 * - `thread`: a worker thread: state, blobs and sharded reads (its bus is the parent's).
 * - `publisher`: state and Pub/Sub, nothing else (the sweep on Pub/Sub).
 * - `state`: the state alone (graph --date, runs, status, ui).
 * - `reader`: the warehouse and a reader over it (render, validate, the console's per-request reads).
 * - `inspect`: the warehouse, a reader and the state (analyze, execute, show).
 */
export type Role = 'embedded' | 'service' | 'thread' | 'publisher' | 'state' | 'reader' | 'inspect';

/** The three services. */
export type ServiceRole = 'planner' | 'executor' | 'worker';

interface Common {
  project: ProjectConfig;
  /** Resolved once, from the project's `execution` settings (and, for a service, its request timeout). */
  settings: RuntimeSettings;
  clock: Clock;
  log: Logger;
  /** Closes what openPorts opened, last opened first; what the caller gave stays open. */
  close: () => Promise<void>;
}
interface WithState {
  state: StateStore;
}
interface WithReader {
  warehouse: Warehouse;
  results: ResultStore;
  reader: ComputationReader;
  shards?: ShardedReads;
}
interface WithManifest {
  manifest: Manifest;
  blobs: BlobStore;
  versionScopes: RunVersionScopes;
}

/** What each role gets. */
export interface PortsByRole {
  embedded: Common & WithState & WithReader & WithManifest & { bus: EventBus; ports: ServicePorts };
  service: Common & WithState & Partial<WithReader> & WithManifest & { bus: EventBus };
  thread: Common & WithState & WithManifest & { shards?: ShardedReads };
  publisher: Common & WithState & { bus: EventBus };
  state: Common & WithState;
  reader: Common & WithReader;
  inspect: Common & WithState & WithReader;
}

export interface OpenPortsOptions {
  /** The process's environment (the CLI's `input.io.env`): emulator hosts, a service's request timeout. (Default: none) */
  env?: Readonly<Record<string, string | undefined>>;
  log?: Logger;
  clock?: Clock;
  /** Settings already resolved by the caller (serve checks its limits before anything opens). (Default: resolved here) */
  settings?: RuntimeSettings;
  /** Overrides of the resolved settings (tests). */
  settingsOverrides?: Partial<RuntimeSettings>;
  /** A missing DuckDB file may be created. (Default: when a manifest is given, outside a service, whether it reads no table; else false) */
  create?: boolean;
  /** `service`: the services this process runs; the warehouse is opened when an executor is among them. */
  services?: readonly ServiceRole[];
  /** Adapters the caller owns: used instead of opening one, and left open by close(). */
  state?: StateStore;
  blobs?: BlobStore;
  bus?: EventBus;
  busOptions?: InProcessBusOptions;
}

/** What the caller hands over: the parsed config, or the manifest built from it. */
export type LoadedProject = ProjectConfig | Manifest;

function isManifest(loaded: LoadedProject): loaded is Manifest {
  return 'computations' in loaded && 'byName' in loaded;
}

/** A whole positive number from the environment, or undefined when unset; anything else stops the service. */
export function positiveEnv(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new UserError('CONFIG_INVALID', `${name} must be a whole number above 0; got '${text}'`);
  return value;
}

/**
 * The run settings of a process in `role`: the project's `execution`
 * settings over their defaults; a service also fits them to its request
 * timeout (COMPUTE_REQUEST_TIMEOUT_SECONDS, which the Terraform module sets);
 * the embedded runtime sends no batch context inline (its blobs are local
 * files and its bus keeps every event).
 */
export function resolveSettings(
  project: ProjectConfig,
  role: Role,
  env: Readonly<Record<string, string | undefined>> = {},
): RuntimeSettings {
  const service =
    role === 'service' ? { requestTimeoutSeconds: positiveEnv(env, 'COMPUTE_REQUEST_TIMEOUT_SECONDS') } : {};
  const settings = settingsFor(project.execution, newOwnerId(), service);
  return role === 'embedded' ? { ...settings, inlineContextBytes: 0 } : settings;
}

const NEEDS: Record<Role, { state: boolean; reader: boolean; manifest: boolean; bus: 'inprocess' | 'pubsub' | null }> =
  {
    embedded: { state: true, reader: true, manifest: true, bus: 'inprocess' },
    service: { state: true, reader: false, manifest: true, bus: 'pubsub' },
    thread: { state: true, reader: false, manifest: true, bus: null },
    publisher: { state: true, reader: false, manifest: false, bus: 'pubsub' },
    state: { state: true, reader: false, manifest: false, bus: null },
    reader: { state: false, reader: true, manifest: false, bus: null },
    inspect: { state: true, reader: true, manifest: false, bus: null },
  };

/**
 * THE composition root: opens every adapter a process in `role` needs from
 * the project's parsed config (warehouse, result store and reader, state
 * store, blob store, event bus, clock, logger, sharded reads), resolves
 * the settings once, and returns them as one object with `close()`. Cloud
 * clients are built here (through wiring.ts, blob-wiring.ts,
 * pubsub-wiring.ts) and nowhere else; the environment reaches them only
 * through `options.env`. If one adapter fails to open, those already open
 * are closed before the error is thrown.
 */
export async function openPorts<R extends Role>(
  loaded: LoadedProject,
  role: R,
  options: OpenPortsOptions = {},
): Promise<PortsByRole[R]> {
  const manifest = isManifest(loaded) ? loaded : null;
  const project = manifest?.project ?? (loaded as ProjectConfig);
  const needs = NEEDS[role];
  if (needs.manifest && manifest === null) throw new Error(`openPorts(${role}) needs the project's manifest`);
  const env = options.env ?? {};
  const log = options.log ?? silentLogger();
  const clock = options.clock ?? systemClock;
  const settings = { ...(options.settings ?? resolveSettings(project, role, env)), ...options.settingsOverrides };
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  const opened: Record<string, unknown> = { project, settings, clock, log, close };
  try {
    if (needs.state) {
      const state = options.state ?? (await openStateStore(project, env));
      if (options.state === undefined) closers.push(() => state.close());
      opened.state = state;
    }
    const reader =
      needs.reader || (role === 'service' && options.services?.includes('executor') === true)
        ? await openReader(project, {
            create: options.create ?? (role !== 'service' && manifest !== null && readsNoTable(manifest)),
            clock,
          })
        : null;
    if (reader !== null) {
      closers.push(() => reader.close());
      Object.assign(opened, readerPorts(reader));
    }
    if (needs.bus !== null) {
      if (options.bus !== undefined) opened.bus = options.bus;
      else if (needs.bus === 'inprocess') opened.bus = new InProcessBus({ log, ...options.busOptions });
      else {
        const bus = await openPubSubBus(project, env);
        closers.push(() => bus.close());
        opened.bus = bus;
      }
    }
    if (role === 'thread') {
      const shards = await openShardedReads(project);
      if (shards !== undefined) opened.shards = shards;
    }
    if (manifest !== null && needs.manifest) {
      opened.manifest = manifest;
      opened.blobs = options.blobs ?? openBlobStore(manifest);
      opened.versionScopes = new RunVersionScopes(manifest);
    }
    if (role === 'embedded') opened.ports = servicePorts(opened as unknown as PortsByRole['embedded']);
    return opened as unknown as PortsByRole[R];
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

function readerPorts(reader: OpenWarehouse & { reader: ComputationReader }): WithReader {
  return {
    warehouse: reader.warehouse,
    results: reader.results,
    reader: reader.reader,
    ...(reader.shards === undefined ? {} : { shards: reader.shards }),
  };
}

/** The ports every service handler takes, out of what openPorts opened for a role that runs services. */
export function servicePorts(opened: Omit<PortsByRole['embedded'], 'ports' | 'close' | 'project'>): ServicePorts {
  return {
    manifest: opened.manifest,
    state: opened.state,
    results: opened.results,
    reader: opened.reader,
    blobs: opened.blobs,
    bus: opened.bus,
    clock: opened.clock,
    log: opened.log,
    settings: opened.settings,
    versionScopes: opened.versionScopes,
    ...(opened.shards === undefined ? {} : { shards: opened.shards }),
  };
}
