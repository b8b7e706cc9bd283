import { createExecutor, type Executor } from '../executor/executor.ts';
import { createPlanner, type Planner } from '../planner/planner.ts';
import { createWorker, type Worker } from '../worker/worker.ts';
import type { InProcessBusOptions } from '../shared/adapters/inprocess/inprocess-bus.ts';
import { PoisonMessageError } from '../shared/errors.ts';
import { eventsOnTopic, handlersOf, TOPICS } from '../shared/events/routes.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import type { BlobStore } from '../shared/ports/blob-store.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { Logger } from '../shared/ports/logger.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import { timeoutsFor, type RuntimeSettings, type ServicePorts } from '../shared/runtime/service-ports.ts';
import type { Clock } from '../shared/ports/clock.ts';
import { ContextHandOff, withHandOff } from '../shared/batches/context-hand-off.ts';
import { availableParallelism } from 'node:os';
import { WorkerThreadPool } from './thread-pool.ts';
import { openPorts } from './open-ports.ts';

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
  /** The environment, handed to openPorts (the only reader of it). (Default: none) */
  env?: Record<string, string | undefined>;
  bus?: EventBus;
  busOptions?: InProcessBusOptions;
  clock?: Clock;
  settings?: Partial<RuntimeSettings>;
  state?: StateStore;
  blobs?: BlobStore;
}

/** Opens every port a project's config names (through openPorts) and wires planner, executor and worker to them. */
export async function openRuntime(manifest: Manifest, options: RuntimeOptions): Promise<Runtime & { bus: EventBus }> {
  const project = manifest.project;
  const opened = await openPorts(manifest, 'embedded', {
    env: options.env ?? {},
    log: options.log,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.settings === undefined ? {} : { settingsOverrides: options.settings }),
    ...(options.state === undefined ? {} : { state: options.state }),
    ...(options.blobs === undefined ? {} : { blobs: options.blobs }),
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    ...(options.busOptions === undefined ? {} : { busOptions: options.busOptions }),
  });
  const { bus, state } = opened;
  const threads =
    options.useThreads === true && project.bus.type === 'inprocess'
      ? (project.bus.workerThreads ?? (availableParallelism() >= 2 ? 1 : 0))
      : 0;
  // Batches go to the worker threads in memory: two contexts per thread held (one running, one next), so the
  // threads never wait for the fan-out and memory does not grow with the number of batches.
  const handOff = threads > 0 ? new ContextHandOff(Math.max(4, 2 * threads)) : undefined;
  const ports: ServicePorts =
    handOff === undefined
      ? opened.ports
      : { ...opened.ports, blobs: withHandOff(opened.ports.blobs, handOff), handOff };
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
    close: async () => {
      await pool?.close();
      await opened.close();
    },
  };
}
