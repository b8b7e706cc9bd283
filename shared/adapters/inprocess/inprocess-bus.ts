import { PoisonMessageError } from '../../errors.ts';
import type { ComputeEvent } from '../../events/contracts.ts';
import { TOPIC_OF } from '../../events/routes.ts';
import type { EventBus, EventHandler } from '../../ports/event-bus.ts';
import type { Logger } from '../../ports/logger.ts';

export interface InProcessBusOptions {
  /** Handlers running at once. (Default: 4) */
  concurrency?: number;
  /** Attempts before an event whose handler keeps throwing is dead-lettered. (Default: 5) */
  maxAttempts?: number;
  /** Deliver every event this many times, as Pub/Sub may. (Default: 1) */
  deliveries?: number;
  /** Deliver again after a successful handling, as when an ack is lost. (Default: never) */
  redeliverAfterSuccess?: (event: ComputeEvent) => boolean;
  log?: Logger;
}

interface Delivery {
  event: ComputeEvent;
  handler: EventHandler;
  attempt: number;
  redelivered: boolean;
}

/**
 * The embedded event bus: at-least-once delivery inside one process, with
 * retries on failure and optional duplicates, so the handlers are exercised
 * as Pub/Sub would exercise them. Each delivery gets its own copy of the
 * event, as if it had crossed the wire.
 */
export class InProcessBus implements EventBus {
  readonly #handlers = new Map<string, EventHandler[]>();
  readonly #queue: Delivery[] = [];
  readonly #options: Required<Omit<InProcessBusOptions, 'log' | 'redeliverAfterSuccess'>> &
    Pick<InProcessBusOptions, 'log' | 'redeliverAfterSuccess'>;
  #running = 0;
  #idleWaiters: Array<() => void> = [];
  /** Events that exhausted their attempts or were poison. */
  readonly deadLetters: Array<{ event: ComputeEvent; error: string }> = [];
  /** Every event published, in order (for tests and progress displays). */
  readonly published: ComputeEvent[] = [];

  constructor(options: InProcessBusOptions = {}) {
    this.#options = { concurrency: 4, maxAttempts: 5, deliveries: 1, ...options };
  }

  subscribe(topic: string, handler: EventHandler): void {
    this.#handlers.set(topic, [...(this.#handlers.get(topic) ?? []), handler]);
  }

  async publish(event: ComputeEvent): Promise<void> {
    this.published.push(event);
    for (const handler of this.#handlers.get(TOPIC_OF[event.type]) ?? []) {
      for (let i = 0; i < this.#options.deliveries; i++)
        this.#queue.push({ event, handler, attempt: 1, redelivered: false });
    }
    this.#pump();
  }

  /** Resolves when no delivery is queued or running. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#queue.length > 0) {
      const delivery = this.#queue.shift()!;
      this.#running++;
      void this.#deliver(delivery).finally(() => {
        this.#running--;
        this.#pump();
        if (this.#queue.length === 0 && this.#running === 0) {
          const waiters = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const copy = structuredClone(delivery.event);
    try {
      await delivery.handler(copy);
      if (!delivery.redelivered && this.#options.redeliverAfterSuccess?.(delivery.event) === true) {
        this.#queue.push({ ...delivery, attempt: 1, redelivered: true });
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (error instanceof PoisonMessageError || delivery.attempt >= this.#options.maxAttempts) {
        this.deadLetters.push({ event: delivery.event, error: text });
        this.#options.log?.error(
          { event: delivery.event.type, runId: delivery.event.runId, attempt: delivery.attempt, error: text },
          'Event dead-lettered',
        );
        return;
      }
      this.#options.log?.warn(
        { event: delivery.event.type, runId: delivery.event.runId, attempt: delivery.attempt, error: text },
        'Handler failed; redelivering',
      );
      this.#queue.push({ ...delivery, attempt: delivery.attempt + 1 });
    }
  }
}
