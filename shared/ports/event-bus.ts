import type { ComputeEvent } from '../events/contracts.ts';

export type EventHandler = (event: ComputeEvent) => Promise<void>;

/** Delivers events at least once. Handlers must be idempotent on our own keys. */
export interface EventBus {
  /** Resolves once the event is accepted for delivery. */
  publish(event: ComputeEvent): Promise<void>;
  /** Registers a handler for a topic (see TOPIC_OF in shared/events/routes.ts). */
  subscribe(topic: string, handler: EventHandler): void;
}
