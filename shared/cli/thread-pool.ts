import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PoisonMessageError } from '../errors.ts';
import type { BatchReady } from '../events/contracts.ts';
import type { EventBus } from '../ports/event-bus.ts';
import type { FromThread, ToThread } from './worker-thread.ts';

interface Pending {
  event: BatchReady;
  resolve: () => void;
  reject: (error: Error) => void;
}

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
  readonly #inFlight = new Map<number, Pending & { slot: Slot }>();
  #nextId = 0;

  constructor(options: {
    size: number;
    root: string;
    env: Record<string, string | undefined>;
    bus: EventBus;
    logLine: (line: string) => void;
  }) {
    this.#size = options.size;
    this.#root = options.root;
    this.#env = options.env;
    this.#bus = options.bus;
    this.#logLine = options.logLine;
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
      else this.#finish(message);
    });
    thread.on('error', (error) => {
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
      this.#inFlight.set(id, { ...pending, slot });
      slot.ready.then(
        () => slot.thread.postMessage({ id, event: pending.event } satisfies ToThread),
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
    await Promise.all(this.#slots.map((slot) => slot.thread.terminate()));
    this.#slots.length = 0;
  }
}
