import type { ComputeEvent, EventType } from './contracts.ts';

/** The three services; each topic is consumed by one of them. */
export type ServiceName = 'planner' | 'executor' | 'worker';

interface Route {
  /** The topic the event travels on (its Pub/Sub name is `${topicPrefix}-${topic}`). */
  topic: string;
  /** The service whose handler it reaches; null: no service consumes it (observers pull it). */
  service: ServiceName | null;
  /** That service's handler: the method of planner, executor or worker named here. */
  handler: string | null;
}

/**
 * Where each event goes, written once: event -> topic -> service ->
 * handler, in the order a run meets them (bootstrap lists its subscriptions so). The in-process wiring (subscribeServices in cli/runtime.ts), `compute serve`'s
 * push routes, `compute bootstrap`'s subscriptions and the buses derive
 * theirs from it; the Terraform module's `local.routes` (infra/terraform/main.tf)
 * is checked against PUSH_ROUTES by test/e2e/terraform-module.test.ts.
 */
export const EVENT_ROUTES = {
  'run.requested': { topic: 'runs', service: 'planner', handler: 'onRunRequested' },
  'sweep.requested': { topic: 'runs', service: 'planner', handler: 'onSweepRequested' },
  'pass.ready': { topic: 'passes', service: 'executor', handler: 'onPassReady' },
  'batch.ready': { topic: 'batches', service: 'worker', handler: 'onBatchReady' },
  'batch.completed': { topic: 'batch-completions', service: 'executor', handler: 'onBatchCompleted' },
  'computation.completed': { topic: 'computation-completions', service: 'planner', handler: 'onComputationCompleted' },
  'run.completed': { topic: 'run-completions', service: null, handler: null },
} as const satisfies Record<EventType, Route>;

type Routes = typeof EVENT_ROUTES;

/** The event types a service handles. */
export type EventsOf<S extends ServiceName> = {
  [T in EventType]: Routes[T]['service'] extends S ? T : never;
}[EventType];

/** What a service must offer to be wired: a handler, under the table's name, for each of its events. */
export type ServiceHandlers<S extends ServiceName> = {
  [T in EventsOf<S> as Routes[T]['handler'] & string]: (event: Extract<ComputeEvent, { type: T }>) => Promise<void>;
};

/** The topic each event travels on; each topic has one consuming service. */
export const TOPIC_OF = Object.fromEntries(
  Object.entries(EVENT_ROUTES).map(([type, route]) => [type, route.topic]),
) as { [T in EventType]: Routes[T]['topic'] };

export const TOPICS = [...new Set(Object.values(TOPIC_OF))];

/** Which service each topic is pushed to; a topic no service consumes (run-completions) is absent. */
export const PUSH_ROUTES: Record<string, ServiceName> = Object.fromEntries(
  Object.values(EVENT_ROUTES).flatMap((route: Route) =>
    route.service === null ? [] : [[route.topic, route.service] as const],
  ),
);

/** The event types that arrive on a topic. */
export function eventsOnTopic(topic: string): EventType[] {
  return (Object.keys(EVENT_ROUTES) as EventType[]).filter((type) => EVENT_ROUTES[type].topic === topic);
}

/**
 * The handler for each event the given services handle, by event type:
 * what `compute serve` routes pushes to and the in-process bus subscribes.
 */
export function handlersOf(services: {
  planner?: ServiceHandlers<'planner'> | undefined;
  executor?: ServiceHandlers<'executor'> | undefined;
  worker?: ServiceHandlers<'worker'> | undefined;
}): Partial<Record<EventType, (event: ComputeEvent) => Promise<void>>> {
  const handlers: Partial<Record<EventType, (event: ComputeEvent) => Promise<void>>> = {};
  for (const type of Object.keys(EVENT_ROUTES) as EventType[]) {
    const route: Route = EVENT_ROUTES[type];
    if (route.service === null || route.handler === null) continue;
    const service = services[route.service] as Record<string, (event: ComputeEvent) => Promise<void>> | undefined;
    const handler = service?.[route.handler];
    if (handler !== undefined) handlers[type] = handler;
  }
  return handlers;
}
