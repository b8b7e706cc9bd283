// A worker service in a worker thread: batches run where a crash or a
// process() stuck in synchronous code takes down only this thread (the
// pool replaces it), while the main thread keeps answering requests. It
// holds no state between messages; events it publishes and lines it logs
// go to the main thread, which awaits each publish before it answers.
import { parentPort, workerData } from 'node:worker_threads';
import { createWorker } from '../worker/worker.ts';
import { PoisonMessageError } from '../shared/errors.ts';
import type { BatchReady, ComputeEvent } from '../shared/events/contracts.ts';
import { createLogger } from '../shared/logging/logger.ts';
import { requireManifest } from '../shared/manifest/build-manifest.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { loadProjectConfig } from '../shared/project/project-config.ts';
import { openBlobStore } from './blob-wiring.ts';
import { newOwnerId } from '../shared/runtime/owner.ts';
import { settingsFor } from '../shared/runtime/ports.ts';
import { openShardedReads, openStateStore } from './wiring.ts';

/** One try of a batch: its budget's end (epoch ms) and the entities earlier tries died in. */
export type ToThread = { id: number; event: BatchReady; deadline: number; failed: Record<string, string> };

export type FromThread =
  | { type: 'ready' }
  | { type: 'publish'; id: number; event: ComputeEvent }
  | { type: 'log'; line: string }
  /** An entity is starting: a crash or a hang from now on is that entity's. */
  | { type: 'entity'; id: number; entityId: string }
  | { type: 'done'; id: number }
  /** `code`: the error's code (e.g. VERSION_SKEW, which the service answers 409), kept across the thread boundary. */
  | { type: 'error'; id: number; message: string; poison: boolean; code?: string };

const port = parentPort!;
const { root, env } = workerData as { root: string; env: Record<string, string | undefined> };
const send = (message: FromThread) => port.postMessage(message);
const project = await loadProjectConfig(root, env);
const manifest = await requireManifest(project);
const state = await openStateStore(project);
let current = -1;
const worker = createWorker(
  {
    manifest,
    state,
    blobs: openBlobStore(manifest),
    bus: { publish: async (event) => send({ type: 'publish', id: current, event }), subscribe: () => undefined },
    log: createLogger({ destination: { write: (line: string) => send({ type: 'log', line }) } }),
    clock: systemClock,
    settings: settingsFor(project.execution, newOwnerId()),
    shards: await openShardedReads(project),
  },
  { onEntity: (entityId) => send({ type: 'entity', id: current, entityId }) },
);
port.on('message', (message: ToThread) => {
  current = message.id;
  worker.onBatchReady(message.event, { deadline: message.deadline, failed: message.failed }).then(
    () => send({ type: 'done', id: message.id }),
    (error: unknown) =>
      send({
        type: 'error',
        id: message.id,
        message: error instanceof Error ? error.message : String(error),
        poison: error instanceof PoisonMessageError,
        ...(typeof (error as { code?: unknown }).code === 'string' ? { code: (error as { code: string }).code } : {}),
      }),
  );
});
send({ type: 'ready' });
