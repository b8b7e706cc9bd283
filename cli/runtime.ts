import { RunVersionScopes } from '../shared/runtime/input-versions.ts';
import { createExecutor, type Executor } from '../executor/executor.ts';
import { createPlanner, type Planner } from '../planner/planner.ts';
import { createWorker, type Worker } from '../worker/worker.ts';
import { InProcessBus, type InProcessBusOptions } from '../shared/adapters/inprocess/inprocess-bus.ts';
import { PoisonMessageError } from '../shared/errors.ts';
import { eventsOnTopic, handlersOf, TOPICS } from '../shared/events/routes.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import type { BlobStore } from '../shared/ports/blob-store.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { Logger } from '../shared/ports/logger.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import { newOwnerId } from '../shared/runtime/owner.ts';
import { settingsFor, timeoutsFor, type RuntimeSettings, type ServicePorts } from '../shared/runtime/ports.ts';
import { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../shared/warehouse/schema-registry.ts';
import { availableParallelism } from 'node:os';
import { openBlobStore } from './blob-wiring.ts';
import { WorkerThreadPool } from './thread-pool.ts';
import { openStateStore, openWarehouse, readsNoTable, type OpenWarehouse } from './wiring.ts';

/** The services wired over one set of ports. */
export interface Runtime {
  ports: ServicePorts;
  planner: Planner;
  executor: Executor;
  worker: Worker;
  close(): Promise<void>;
}

/**
 * Subscribes each service's handlers to its topics, as EVENT_ROUTES says.
 * An event on a topic that does not carry it is poison.
 */
export function subscribeServices(
  bus: EventBus,
  services: { planner?: Planner; executor?: Executor; worker?: Pick<Worker, 'onBatchReady'> },
): void {
  const handlers = handlersOf(services);
  for (const topic of TOPICS) {
    const types = eventsOnTopic(topic).filter((type) => handlers[type] !== undefined);
    if (types.length === 0) continue;
    bus.subscribe(topic, async (event) => {
      const handle = types.includes(event.type) ? handlers[event.type] : undefined;
      if (handle === undefined)
        throw new PoisonMessageError('WRONG_TOPIC', `expected ${types.join(' or ')}, got ${event.type}`);
      await handle(event);
    });
  }
}

export interface RuntimeOptions {
  log: Logger;
  /** Where log lines from worker threads go (the main logger's destination). */
  logLine?: (line: string) => void;
  /** Process batches in worker threads as the project's bus config says (the CLI does; tests choose). */
  useThreads?: boolean;
  /** Environment the project was loaded with, for worker threads to load it the same way. */
  env?: Record<string, string | undefined>;
  bus?: EventBus;
  busOptions?: InProcessBusOptions;
  clock?: Clock;
  settings?: Partial<RuntimeSettings>;
  state?: StateStore;
  blobs?: BlobStore;
}

/** Opens every port a project's config names and wires planner, executor and worker to them. */
export async function openRuntime(
  manifest: Manifest,
  options: RuntimeOptions,
): Promise<Runtime & { bus: EventBus; warehouse: OpenWarehouse }> {
  const project = manifest.project;
  const state = options.state ?? (await openStateStore(project));
  const warehouse = await openWarehouse(project, { create: readsNoTable(manifest) });
  const clock = options.clock ?? systemClock;
  const bus = options.bus ?? new InProcessBus({ log: options.log, ...options.busOptions });
  const reader = new ComputationReader({
    warehouse: warehouse.warehouse,
    registry: new SchemaRegistry(warehouse.warehouse, { clock }),
    project,
  });
  const ports: ServicePorts = {
    manifest,
    state,
    results: warehouse.results,
    reader,
    blobs: options.blobs ?? openBlobStore(manifest),
    bus,
    clock,
    log: options.log,
    settings: { ...settingsFor(project.execution, newOwnerId()), inlineContextBytes: 0, ...options.settings },
    versionScopes: new RunVersionScopes(manifest),
    ...(warehouse.shards === undefined ? {} : { shards: warehouse.shards }),
  };
  const planner = createPlanner(ports);
  const executor = createExecutor(ports);
  const worker = createWorker(ports);
  const busConfig = project.bus;
  const threads =
    options.useThreads === true && busConfig.type === 'inprocess'
      ? (busConfig.workerThreads ?? (availableParallelism() >= 2 ? 1 : 0))
      : 0;
  const pool =
    threads > 0
      ? new WorkerThreadPool({
          size: threads,
          root: project.root,
          env: options.env ?? {},
          bus,
          logLine: options.logLine ?? (() => undefined),
          log: options.log,
          entityTimeout: (event) =>
            timeoutsFor(ports.settings, manifest.byName.get(event.computation)?.config ?? {}).entityMs,
          batchTimeoutMs: ports.settings.batchTimeoutMs,
        })
      : null;
  subscribeServices(bus, {
    planner,
    executor,
    worker: pool === null ? worker : { onBatchReady: (event) => pool.handle(event) },
  });
  return {
    ports,
    planner,
    executor,
    worker,
    bus,
    warehouse,
    close: async () => {
      await pool?.close();
      await warehouse.close();
      if (options.state === undefined) await state.close();
    },
  };
}
