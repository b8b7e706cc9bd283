// A worker service in a worker thread: batches run where a crash or a
// process() stuck in synchronous code takes down only this thread (the
// pool replaces it), while the main thread keeps answering requests. It
// holds no state between messages; it is given the main thread's loaded
// project (it imports only the user modules), and its state-store calls,
// the events it publishes and the lines it logs go to the main thread,
// which awaits each publish before it answers.
import { parentPort, workerData } from 'node:worker_threads';
import { createWorker } from '../worker/worker.ts';
import { PoisonMessageError } from '../shared/errors.ts';
import type { BatchReady, ComputeEvent } from '../shared/events/contracts.ts';
import { createLogger } from '../shared/logging/logger.ts';
import { openPorts } from './open-ports.ts';
import {
  stateThroughParent,
  threadManifest,
  type StateAnswer,
  type StateCall,
  type ThreadProject,
} from './thread-project.ts';
import { EntityBeacon } from './entity-beacon.ts';

/**
 * One try of a batch: its budget's end (epoch ms), the entities earlier
 * tries died in, and (embedded) its context's text, handed over in memory.
 */
export type ToThread = {
  id: number;
  event: BatchReady;
  deadline: number;
  failed: Record<string, string>;
  context?: string;
};

export type FromThread =
  | { type: 'ready' }
  | { type: 'publish'; id: number; event: ComputeEvent }
  | { type: 'log'; line: string }
  /** An entity whose id is too long for the beacon is starting: a crash or a hang from now on is that entity's. */
  | { type: 'entity'; id: number; entityId: string }
  | { type: 'done'; id: number }
  /** `code`: the error's code (e.g. VERSION_SKEW, which the service answers 409), kept across the thread boundary. */
  | { type: 'error'; id: number; message: string; poison: boolean; code?: string }
  | StateCall;

const port = parentPort!;
const { loaded, beacon } = workerData as { loaded: ThreadProject; beacon: SharedArrayBuffer };
const entities = new EntityBeacon(beacon);
const send = (message: FromThread) => port.postMessage(message);
const manifest = await threadManifest(loaded);
const { state, answer } = stateThroughParent(send);
let current = -1;
// The thread's ports, from the one composition root; its state store is the parent's, through messages.
const ports = await openPorts(manifest, 'thread', {
  state,
  log: createLogger({ destination: { write: (line: string) => send({ type: 'log', line }) } }),
});
const worker = createWorker(
  {
    ...ports,
    bus: { publish: async (event) => send({ type: 'publish', id: current, event }), subscribe: () => undefined },
  },
  {
    // Written to memory the pool reads (a message per entity cost more than a trivial process()).
    onEntity: (entityId) => {
      if (!entities.write(current, entityId, Date.now())) send({ type: 'entity', id: current, entityId });
    },
  },
);
port.on('message', (message: ToThread | StateAnswer) => {
  if ('type' in message) return answer(message);
  current = message.id;
  const { event, deadline, failed, context } = message;
  worker.onBatchReady(event, { deadline, failed, ...(context === undefined ? {} : { context }) }).then(
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
