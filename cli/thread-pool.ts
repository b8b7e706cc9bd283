import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PoisonMessageError, VersionSkewError } from '../shared/errors.ts';
import type { BatchReady } from '../shared/events/contracts.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { Logger } from '../shared/ports/logger.ts';
import type { ContextHandOff } from '../shared/batches/context-hand-off.ts';
import { entityLimit } from '../shared/batches/run-batch.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import { EntityBeacon } from './entity-beacon.ts';
import { answerStateCall, threadProject } from './thread-project.ts';
import type { FromThread, ToThread } from './worker-thread.ts';

/** How long past its limit a silent entity is given before its thread is replaced. */
const STUCK_GRACE_MS = 2000;

/** A batch waiting for a thread, or tried again after the thread it ran in died. */
interface Pending {
  event: BatchReady;
  /** Epoch ms at which the batch's budget ends, fixed when the delivery arrived. */
  deadline: number;
  /** Entities an earlier try died or was stopped in, with what happened. */
  failed: Record<string, string>;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Slot {
  thread: Worker;
  /** Which entity the thread is in, written by the thread as each starts. */
  beacon: EntityBeacon;
  ready: Promise<void>;
  busy: boolean;
  /** Terminated on purpose (stuck, closing): its exit is not a crash. */
  retired: boolean;
  /** Loaded the project: a thread that dies before is not replaced until work asks for it. */
  started: boolean;
  /** The error the thread reported before it exited (out of memory, an uncaught exception). */
  crash?: Error;
}

interface Running extends Pending {
  slot: Slot;
  /** The try's id, which the thread writes beside each entity it starts. */
  id: number;
  /** An entity whose id is too long for the beacon, announced by message instead. */
  entity?: { id: string; startedAt: number };
  /** The entity last read from the beacon, and when this thread first saw it (its limit counts from then). */
  seen?: { id: string; startedAt: number; at: number };
  /** The thread's publishes, awaited before the batch is answered. */
  publishes: Promise<void>[];
}

export interface ThreadPoolOptions {
  size: number;
  /** The loaded project the threads share: they import only its user modules. */
  manifest: Manifest;
  /** The store the threads' state calls are made on. */
  state: StateStore;
  bus: EventBus;
  /** Where the threads' log lines go. */
  logLine: (line: string) => void;
  log?: Logger;
  /** The entity timeout of a batch's computation. */
  entityTimeout: (event: BatchReady) => number;
  /** A batch's budget from its arrival: entities not done by then fail. */
  batchTimeoutMs: number;
  /** Heap limit of each thread, so one entity's runaway allocation fails it alone. (Default: Node's) */
  memoryMb?: number;
  /**
   * The embedded runtime's contexts: each batch's context text goes to its
   * thread in the message, and is let go of once the batch is done. (Default:
   * the thread reads it from the blob store)
   */
  handOff?: ContextHandOff;
}

/** What a thread's death was, for the entity it died in. */
function crashText(crash: Error | undefined, exitCode: number): string {
  const code = (crash as { code?: string } | undefined)?.code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY')
    return 'crashed: the worker ran out of memory while this entity ran (its thread was replaced; the batch went on without it)';
  if (crash !== undefined)
    return `crashed: ${crash.message} (uncaught in the worker thread while this entity ran; the batch went on without it)`;
  return `crashed: the worker thread exited with code ${exitCode} while this entity ran (process.exit?; the batch went on without it)`;
}

/**
 * Runs batches in worker threads, one batch per thread at a time, so user
 * code can neither block nor crash the process that answers requests. A
 * thread that dies (out of memory, process.exit, an uncaught error) or
 * stays in one entity past its limit is replaced; that entity is failed
 * with what happened, and the batch is tried again in a fresh thread
 * without it, so the rest of the batch completes. Each crash fails one more
 * entity, so a batch is tried at most once per entity.
 */
export class WorkerThreadPool {
  readonly #options: ThreadPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #running = new Map<number, Running>();
  #watch: NodeJS.Timeout | undefined;
  #nextId = 0;

  constructor(options: ThreadPoolOptions) {
    this.#options = options;
  }

  /** Starts the threads now, so their start-up overlaps the fan-out instead of following it. */
  warm(): void {
    while (this.#slots.length < this.#options.size) this.#slots.push(this.#start());
  }

  /** The bus handler: resolves when a thread has processed the batch and its events are published. */
  handle(event: BatchReady): Promise<void> {
    this.warm();
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + this.#options.batchTimeoutMs;
      this.#queue.push({ event, deadline, failed: {}, resolve, reject });
      this.#dispatch();
    });
  }

  /** Batches running or waiting for a thread. */
  get load(): number {
    return this.#running.size + this.#queue.length;
  }

  #start(): Slot {
    // Next to this module: worker-thread-entry.ts from source, worker-thread-entry.js once built.
    const entry = new URL(`./worker-thread-entry${extname(new URL(import.meta.url).pathname)}`, import.meta.url);
    const { manifest, memoryMb } = this.#options;
    const beacon = new EntityBeacon();
    const thread = new Worker(entry, {
      workerData: { loaded: threadProject(manifest), beacon: beacon.buffer },
      ...(memoryMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: memoryMb } }),
    });
    thread.unref();
    let markReady!: () => void;
    let failStart!: (error: Error) => void;
    const slot: Slot = {
      thread,
      beacon,
      busy: false,
      retired: false,
      started: false,
      ready: new Promise((resolve, reject) => ((markReady = resolve), (failStart = reject))),
    };
    slot.ready.catch(() => undefined);
    thread.on('message', (message: FromThread) =>
      this.#receive(slot, message, () => {
        slot.started = true;
        markReady();
      }),
    );
    thread.on('error', (error: Error) => {
      slot.crash = error;
      failStart(error);
    });
    thread.on('exit', (code: number) => {
      failStart(slot.crash ?? new Error(`worker thread exited with code ${code} before it was ready`));
      if (!slot.retired) this.#died(slot, code);
    });
    return slot;
  }

  #receive(slot: Slot, message: FromThread, markReady: () => void): void {
    if (message.type === 'ready') return markReady();
    if (message.type === 'state') {
      void answerStateCall(this.#options.state, message).then((answer) => {
        if (!slot.retired) slot.thread.postMessage(answer);
      });
      return;
    }
    if (message.type === 'log') return this.#options.logLine(message.line);
    const running = this.#running.get(message.id);
    if (running === undefined) return;
    if (message.type === 'publish') {
      const published = this.#options.bus.publish(message.event);
      published.catch(() => undefined);
      running.publishes.push(published);
    } else if (message.type === 'entity') running.entity = { id: message.entityId, startedAt: Date.now() };
    else this.#finish(message.id, running, message);
  }

  #finish(id: number, running: Running, message: Extract<FromThread, { type: 'done' | 'error' }>): void {
    this.#running.delete(id);
    running.slot.busy = false;
    this.#dispatch();
    if (message.type === 'error') {
      running.reject(
        message.poison
          ? new PoisonMessageError('WORKER_POISON', message.message)
          : message.code === 'VERSION_SKEW'
            ? VersionSkewError.fromMessage(message.message)
            : Object.assign(new Error(message.message), message.code === undefined ? {} : { code: message.code }),
      );
      return;
    }
    // Recorded: a redelivery is answered from the ledger, without the context.
    this.#options.handOff?.release(running.event.contextBlob);
    Promise.all(running.publishes).then(
      () => running.resolve(),
      (error: unknown) => running.reject(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** The entity a try started last, and when: a crash or a hang from then on is its. */
  #entity(running: Running): { id: string; startedAt: number } | undefined {
    const shared = running.slot.beacon.read(running.id);
    if (shared !== undefined && (running.seen?.startedAt !== shared.startedAt || running.seen.id !== shared.id))
      running.seen = { ...shared, at: Date.now() };
    // Timed from when this thread learned of it, as when each entity was a message: never earlier than it could act.
    const fromBeacon = running.seen === undefined ? undefined : { id: running.seen.id, startedAt: running.seen.at };
    if (running.entity === undefined) return fromBeacon;
    return fromBeacon === undefined || running.seen!.startedAt < running.entity.startedAt ? running.entity : fromBeacon;
  }

  /** A thread died on its own: its batch goes on without the entity it died in. */
  #died(slot: Slot, code: number): void {
    if (slot.started) this.#replace(slot);
    else {
      // It could not load the project: starting another at once would fail the same way, in a loop.
      slot.retired = true;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      if (this.#slots.length === 0)
        for (const pending of this.#queue.splice(0))
          pending.reject(new Error(`worker thread failed to start: ${String(slot.crash ?? `exit code ${code}`)}`));
    }
    for (const [id, running] of this.#running) {
      if (running.slot !== slot) continue;
      this.#running.delete(id);
      const entity = this.#entity(running);
      if (entity === undefined) {
        // Not inside user code (loading the project, reading the context): nothing to blame, so Pub/Sub redelivers.
        running.reject(slot.crash ?? new Error(`worker thread exited with code ${code} outside any entity`));
        continue;
      }
      this.#retry(running, entity.id, crashText(slot.crash, code));
    }
    this.#dispatch();
  }

  /** Fails the entity a try was in and queues the batch again, first, for a fresh thread. */
  #retry(running: Running, entityId: string, error: string): void {
    this.#options.log?.warn(
      { computation: running.event.computation, batchId: running.event.batchId, entityId, error },
      `Entity ${entityId} of ${running.event.computation} ${error}`,
    );
    const { event, deadline, resolve, reject } = running;
    this.#queue.unshift({ event, deadline, resolve, reject, failed: { ...running.failed, [entityId]: error } });
  }

  #replace(slot: Slot): void {
    slot.retired = true;
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1, this.#start());
  }

  /**
   * An entity silent past its limit (its own timeout, capped by the batch's
   * budget) is stuck in synchronous code: its thread is terminated and
   * replaced, and the batch goes on without it.
   */
  #checkStuck(): void {
    const now = Date.now();
    for (const [id, running] of this.#running) {
      const entity = this.#entity(running);
      if (entity === undefined) continue;
      const limit = entityLimit(
        { entityTimeoutMs: this.#options.entityTimeout(running.event), deadline: running.deadline },
        entity.startedAt,
      );
      if (limit === undefined || now - entity.startedAt <= limit.ms + STUCK_GRACE_MS) continue;
      this.#running.delete(id);
      const slot = running.slot;
      this.#replace(slot);
      void slot.thread.terminate();
      this.#retry(
        running,
        entity.id,
        `${limit.error}: process() did not return and blocked its worker thread, which was replaced`,
      );
    }
    this.#dispatch();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy || this.#queue.length === 0) continue;
      const pending = this.#queue.shift()!;
      slot.busy = true;
      const id = this.#nextId++;
      this.#running.set(id, { ...pending, slot, id, publishes: [] });
      if (this.#watch === undefined) {
        this.#watch = setInterval(() => this.#checkStuck(), 250);
        this.#watch.unref();
      }
      const { event, deadline, failed } = pending;
      slot.ready.then(
        () => {
          const context = this.#options.handOff?.get(event.contextBlob);
          slot.thread.postMessage({
            id,
            event,
            deadline,
            failed,
            ...(context === undefined ? {} : { context }),
          } satisfies ToThread);
        },
        (error: unknown) => {
          const running = this.#running.get(id);
          if (running !== undefined)
            this.#finish(id, running, {
              type: 'error',
              id,
              message: `worker thread failed to start: ${String(error)}`,
              poison: false,
            });
        },
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#watch);
    for (const slot of this.#slots) slot.retired = true;
    await Promise.all(this.#slots.map((slot) => slot.thread.terminate()));
    this.#slots.length = 0;
  }
}
