import { RunVersionScopes } from '../shared/runtime/input-versions.ts';
import { createExecutor, type Executor } from '../executor/executor.ts';
import { createPlanner, type Planner } from '../planner/planner.ts';
import { createWorker, type Worker } from '../worker/worker.ts';
import { InProcessBus, type InProcessBusOptions } from '../shared/adapters/inprocess/inprocess-bus.ts';
import { PoisonMessageError } from '../shared/errors.ts';
import type { ComputeEvent } from '../shared/events/contracts.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import { systemClock, type Clock } from '../shared/ports/clock.ts';
import type { BlobStore } from '../shared/ports/blob-store.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { Logger } from '../shared/ports/logger.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import { ContextHandOff, withHandOff } from '../shared/runtime/context-hand-off.ts';
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

function expect<T extends ComputeEvent['type']>(
  type: T,
  handle: (event: Extract<ComputeEvent, { type: T }>) => Promise<void>,
) {
  return async (event: ComputeEvent) => {
    if (event.type !== type) throw new PoisonMessageError('WRONG_TOPIC', `expected ${type}, got ${event.type}`);
    await handle(event as Extract<ComputeEvent, { type: T }>);
  };
}

/** Subscribes each service's handlers to its topics. */
export function subscribeServices(
  bus: EventBus,
  services: { planner?: Planner; executor?: Executor; worker?: Pick<Worker, 'onBatchReady'> },
): void {
  const { planner, executor, worker } = services;
  if (planner !== undefined) {
    bus.subscribe('runs', async (event) => {
      if (event.type === 'sweep.requested') return planner.onSweepRequested(event);
      return expect('run.requested', planner.onRunRequested)(event);
    });
    bus.subscribe('computation-completions', expect('computation.completed', planner.onComputationCompleted));
  }
  if (executor !== undefined) {
    bus.subscribe('passes', expect('pass.ready', executor.onPassReady));
    bus.subscribe('batch-completions', expect('batch.completed', executor.onBatchCompleted));
  }
  if (worker !== undefined) bus.subscribe('batches', expect('batch.ready', worker.onBatchReady));
}

export interface RuntimeOptions {
  log: Logger;
  /** Where log lines from worker threads go (the main logger's destination). */
  logLine?: (line: string) => void;
  /** Process batches in worker threads as the project's bus config says (the CLI does; tests choose). */
  useThreads?: boolean;
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
  const threads =
    options.useThreads === true && project.bus.type === 'inprocess'
      ? (project.bus.workerThreads ?? (availableParallelism() >= 2 ? 1 : 0))
      : 0;
  const settings = { ...settingsFor(project.execution, newOwnerId()), inlineContextBytes: 0, ...options.settings };
  // Batches go to the worker threads in memory: two contexts per thread held (one running, one next), so the
  // threads never wait for the fan-out and memory does not grow with the number of batches.
  const handOff = threads > 0 ? new ContextHandOff(Math.max(4, 2 * threads)) : undefined;
  const blobs = options.blobs ?? openBlobStore(manifest);
  const ports: ServicePorts = {
    manifest,
    state,
    results: warehouse.results,
    reader,
    blobs: handOff === undefined ? blobs : withHandOff(blobs, handOff),
    bus,
    clock,
    log: options.log,
    settings,
    versionScopes: new RunVersionScopes(manifest),
    ...(warehouse.shards === undefined ? {} : { shards: warehouse.shards }),
    ...(handOff === undefined ? {} : { handOff }),
  };
  const planner = createPlanner(ports);
  const executor = createExecutor(ports);
  const worker = createWorker(ports);
  const pool =
    threads > 0
      ? new WorkerThreadPool({
          size: threads,
          manifest,
          state,
          bus,
          logLine: options.logLine ?? (() => undefined),
          log: options.log,
          entityTimeout: (event) =>
            timeoutsFor(ports.settings, manifest.byName.get(event.computation)?.config ?? {}).entityMs,
          batchTimeoutMs: ports.settings.batchTimeoutMs,
          ...(handOff === undefined ? {} : { handOff }),
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
