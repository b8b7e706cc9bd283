// A worker service in a worker thread, for the embedded mode: batches are
// processed on another core while the main thread reads the warehouse and
// runs planner and executor. It holds no state between messages; events it
// publishes and lines it logs go to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { createWorker } from '../../worker/worker.ts';
import { PoisonMessageError } from '../errors.ts';
import type { BatchReady, ComputeEvent } from '../events/contracts.ts';
import { createLogger } from '../logging/logger.ts';
import { requireManifest } from '../manifest/build-manifest.ts';
import { systemClock } from '../ports/clock.ts';
import { loadProjectConfig } from '../project/project-config.ts';
import { openBlobStore } from './blob-wiring.ts';
import { newOwnerId } from '../runtime/owner.ts';
import { settingsFor } from '../runtime/ports.ts';
import { openShardedReads, openStateStore } from './wiring.ts';

export type ToThread = { id: number; event: BatchReady };

/** Progress messages are sent at most this often. */
export const PROGRESS_MS = 100;
export type FromThread =
  | { type: 'ready' }
  | { type: 'publish'; event: ComputeEvent }
  | { type: 'log'; line: string }
  /** Entities are starting (sent at most every PROGRESS_MS): the pool replaces a thread that stops sending them. */
  | { type: 'progress'; id: number }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string; poison: boolean };

const port = parentPort!;
const { root, env } = workerData as { root: string; env: Record<string, string | undefined> };
const send = (message: FromThread) => port.postMessage(message);
const project = await loadProjectConfig(root, env);
const manifest = await requireManifest(project);
const state = await openStateStore(project);
let current = -1;
let last = 0;
const worker = createWorker(
  {
    manifest,
    state,
    blobs: openBlobStore(manifest),
    bus: { publish: async (event) => send({ type: 'publish', event }), subscribe: () => undefined },
    log: createLogger({ destination: { write: (line: string) => send({ type: 'log', line }) } }),
    clock: systemClock,
    settings: settingsFor(project.execution, newOwnerId()),
    shards: await openShardedReads(project),
  },
  {
    onEntity: () => {
      const now = Date.now();
      if (now - last < PROGRESS_MS) return;
      last = now;
      send({ type: 'progress', id: current });
    },
  },
);
port.on('message', (message: ToThread) => {
  current = message.id;
  last = Date.now();
  worker.onBatchReady(message.event).then(
    () => send({ type: 'done', id: message.id }),
    (error: unknown) =>
      send({
        type: 'error',
        id: message.id,
        message: error instanceof Error ? error.message : String(error),
        poison: error instanceof PoisonMessageError,
      }),
  );
});
send({ type: 'ready' });
