import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PoisonMessageError } from '../errors.ts';
import type { BatchReady } from '../events/contracts.ts';
import type { EventBus } from '../ports/event-bus.ts';
import { seconds } from '../runtime/time-limit.ts';
import type { FromThread, ToThread } from './worker-thread.ts';

interface Pending {
  event: BatchReady;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** How long past its entity timeout a silent thread is given before it is replaced. */
const STUCK_GRACE_MS = 2000;

interface Slot {
  thread: Worker;
  ready: Promise<void>;
  busy: boolean;
}

/**
 * Worker services in worker threads, fed batch.ready events from the
 * in-process bus. Started on the first batch, so runs without per-entity
 * work pay nothing. Each thread loads the project itself.
 */
export class WorkerThreadPool {
  readonly #size: number;
  readonly #root: string;
  readonly #env: Record<string, string | undefined>;
  readonly #bus: EventBus;
  readonly #logLine: (line: string) => void;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #inFlight = new Map<number, Pending & { slot: Slot; progressAt: number }>();
  readonly #entityTimeout: (event: BatchReady) => number;
  readonly #onStuck: (event: BatchReady, error: string) => Promise<void>;
  #watch: NodeJS.Timeout | undefined;
  #nextId = 0;

  constructor(options: {
    size: number;
    root: string;
    env: Record<string, string | undefined>;
    bus: EventBus;
    logLine: (line: string) => void;
    /** The entity timeout of a batch's computation: a thread silent for longer is stuck in one entity. */
    entityTimeout: (event: BatchReady) => number;
    /** Records a stuck batch as failed once its thread is replaced. */
    onStuck: (event: BatchReady, error: string) => Promise<void>;
  }) {
    this.#size = options.size;
    this.#root = options.root;
    this.#env = options.env;
    this.#bus = options.bus;
    this.#logLine = options.logLine;
    this.#entityTimeout = options.entityTimeout;
    this.#onStuck = options.onStuck;
  }

  /**
   * A thread whose batch started no entity for longer than the entity
   * timeout is stuck in one (a process() that never yields): it is
   * terminated and replaced, and its batch recorded with its entities failed.
   */
  #checkStuck(): void {
    const now = Date.now();
    for (const [id, pending] of this.#inFlight) {
      const limit = this.#entityTimeout(pending.event);
      if (now - pending.progressAt <= limit + STUCK_GRACE_MS) continue;
      this.#inFlight.delete(id);
      const slot = pending.slot;
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1, this.#start());
      void slot.thread.terminate();
      const error = `timed out after ${seconds(limit)} (entityTimeoutSeconds): a process() call did not return and blocked its worker thread, which was replaced; the batch's entities were not all processed`;
      this.#onStuck(pending.event, error).then(pending.resolve, (failure: unknown) =>
        pending.reject(failure instanceof Error ? failure : new Error(String(failure))),
      );
      this.#dispatch();
    }
  }

  /** Starts the threads now, so their start-up overlaps the fan-out instead of following it. */
  warm(): void {
    if (this.#slots.length === 0) for (let i = 0; i < this.#size; i++) this.#slots.push(this.#start());
  }

  /** The bus handler: resolves when a thread has processed the batch (and its events are published). */
  handle(event: BatchReady): Promise<void> {
    this.warm();
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      this.#dispatch();
    });
  }

  #start(): Slot {
    // Next to this module: worker-thread-entry.ts from source, worker-thread-entry.js once built.
    const entry = new URL(`./worker-thread-entry${extname(new URL(import.meta.url).pathname)}`, import.meta.url);
    const thread = new Worker(entry, { workerData: { root: this.#root, env: this.#env } });
    thread.unref();
    let markReady!: () => void;
    let failStart!: (error: Error) => void;
    const slot: Slot = {
      thread,
      busy: false,
      ready: new Promise((resolve, reject) => ((markReady = resolve), (failStart = reject))),
    };
    slot.ready.catch(() => undefined);
    thread.on('message', (message: FromThread) => {
      if (message.type === 'ready') markReady();
      else if (message.type === 'log') this.#logLine(message.line);
      else if (message.type === 'publish') void this.#bus.publish(message.event);
      else if (message.type === 'progress') {
        const pending = this.#inFlight.get(message.id);
        if (pending !== undefined) pending.progressAt = Date.now();
      } else this.#finish(message);
    });
    thread.on('error', (error: Error) => {
      failStart(error);
      for (const [id, pending] of this.#inFlight) {
        if (pending.slot !== slot) continue;
        this.#inFlight.delete(id);
        pending.reject(error);
      }
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1, this.#start());
    });
    return slot;
  }

  #finish(message: Extract<FromThread, { type: 'done' | 'error' }>): void {
    const pending = this.#inFlight.get(message.id);
    if (pending === undefined) return;
    this.#inFlight.delete(message.id);
    pending.slot.busy = false;
    if (message.type === 'done') pending.resolve();
    else
      pending.reject(
        message.poison ? new PoisonMessageError('WORKER_POISON', message.message) : new Error(message.message),
      );
    this.#dispatch();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy || this.#queue.length === 0) continue;
      const pending = this.#queue.shift()!;
      slot.busy = true;
      const id = this.#nextId++;
      this.#inFlight.set(id, { ...pending, slot, progressAt: Date.now() });
      if (this.#watch === undefined) {
        this.#watch = setInterval(() => this.#checkStuck(), 500);
        this.#watch.unref();
      }
      slot.ready.then(
        () => {
          // The clock starts once the thread has loaded the project.
          const started = this.#inFlight.get(id);
          if (started !== undefined) started.progressAt = Date.now();
          slot.thread.postMessage({ id, event: pending.event } satisfies ToThread);
        },
        (error: unknown) =>
          this.#finish({
            type: 'error',
            id,
            message: `worker thread failed to start: ${String(error)}`,
            poison: false,
          }),
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#watch);
    await Promise.all(this.#slots.map((slot) => slot.thread.terminate()));
    this.#slots.length = 0;
  }
}
