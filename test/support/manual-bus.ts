import type { ComputeEvent } from '../../shared/events/contracts.ts';
import { TOPIC_OF } from '../../shared/events/routes.ts';
import type { EventBus, EventHandler } from '../../shared/ports/event-bus.ts';

/**
 * An in-memory bus the test drives by hand: published events wait in a
 * queue until the test delivers them (once, twice, out of order, or not
 * at all), so each idempotency rule can be exercised on its own.
 */
export class ManualBus implements EventBus {
  readonly #handlers = new Map<string, EventHandler[]>();
  /** Every event published, in order. */
  readonly published: ComputeEvent[] = [];
  /** Events published and not delivered yet. */
  queue: ComputeEvent[] = [];

  subscribe(topic: string, handler: EventHandler): void {
    this.#handlers.set(topic, [...(this.#handlers.get(topic) ?? []), handler]);
  }

  async publish(event: ComputeEvent): Promise<void> {
    this.published.push(event);
    this.queue.push(event);
  }

  /** Hands one event (a copy, as if it crossed the wire) to its topic's handlers. */
  async deliver(event: ComputeEvent): Promise<void> {
    for (const handler of this.#handlers.get(TOPIC_OF[event.type]) ?? []) await handler(structuredClone(event));
  }

  /** Takes the queued events matching `which` out of the queue. */
  take(which: (event: ComputeEvent) => boolean = () => true): ComputeEvent[] {
    const taken = this.queue.filter(which);
    this.queue = this.queue.filter((event) => !which(event));
    return taken;
  }

  /** Delivers queued events (and those they cause) until none is left that matches `which`; returns how many. */
  async drain(which: (event: ComputeEvent) => boolean = () => true): Promise<number> {
    let count = 0;
    for (let next = this.take(which); next.length > 0; next = this.take(which)) {
      for (const event of next) await this.deliver(event);
      count += next.length;
    }
    return count;
  }
}
