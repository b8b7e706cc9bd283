import type { Message, PubSub, Topic } from '@google-cloud/pubsub';
import { PoisonMessageError } from '../../errors.ts';
import type { ComputeEvent } from '../../events/contracts.ts';
import { TOPIC_OF } from '../../events/routes.ts';
import { parseEvent } from '../../events/parse.ts';
import type { EventBus, EventHandler } from '../../ports/event-bus.ts';

/** Full topic name of one of the system's topics: PREFIX-runs, PREFIX-passes, ... */
export function topicName(prefix: string, topic: string): string {
  return `${prefix}-${topic}`;
}

/** Attributes every message carries, for filtering and tracing without decoding the body. */
export function eventAttributes(event: ComputeEvent): Record<string, string> {
  const attributes: Record<string, string> = { type: event.type, v: String(event.v), runId: event.runId };
  if ('computation' in event) attributes.computation = event.computation;
  if ('batchId' in event) attributes.batchId = event.batchId;
  if ('date' in event) attributes.date = event.date;
  return attributes;
}

/**
 * The event bus on Pub/Sub. Publishing resolves once Pub/Sub has the
 * message (every publish is awaited: an unawaited publish is lost when
 * Cloud Run stops the instance). Services normally receive through push
 * subscriptions over HTTP; `subscribe` is a streaming pull for local tools.
 */
export class PubSubBus implements EventBus {
  readonly #client: PubSub;
  readonly #prefix: string;
  readonly #topics = new Map<string, Topic>();

  constructor(client: PubSub, options: { topicPrefix?: string } = {}) {
    this.#client = client;
    this.#prefix = options.topicPrefix ?? 'compute';
  }

  #topic(topic: string): Topic {
    let handle = this.#topics.get(topic);
    if (handle === undefined) {
      // Every publish is awaited inside a request, so the client's default 10 ms batching
      // window would be added to every handler's latency; 1 ms still groups a burst.
      handle = this.#client.topic(topicName(this.#prefix, topic), { batching: { maxMilliseconds: 1 } });
      this.#topics.set(topic, handle);
    }
    return handle;
  }

  async publish(event: ComputeEvent): Promise<void> {
    await this.#topic(TOPIC_OF[event.type]).publishMessage({
      data: Buffer.from(JSON.stringify(event)),
      attributes: eventAttributes(event),
    });
  }

  /** Flushes pending publishes and closes the client. */
  async close(): Promise<void> {
    await Promise.all([...this.#topics.values()].map((topic) => topic.flush()));
    await this.#client.close();
  }

  subscribe(topic: string, handler: EventHandler): void {
    const subscription = this.#client.subscription(`${topicName(this.#prefix, topic)}-pull`);
    subscription.on('message', (message: Message) => {
      let event: ComputeEvent;
      try {
        event = parseEvent(JSON.parse(message.data.toString('utf8')), message.id);
      } catch {
        message.ack();
        return;
      }
      // Poison is acked as the services ack it: delivering it again cannot succeed.
      handler(event).then(
        () => message.ack(),
        (error: unknown) => (error instanceof PoisonMessageError ? message.ack() : message.nack()),
      );
    });
  }
}
