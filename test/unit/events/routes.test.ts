import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../../shared/adapters/inprocess/inprocess-bus.ts';
import type { ComputeEvent, EventType } from '../../../shared/events/contracts.ts';
import { EVENT_ROUTES, PUSH_ROUTES, TOPIC_OF, TOPICS } from '../../../shared/events/routes.ts';
import { silentLogger } from '../../../shared/logging/logger.ts';
import { subscribeServices } from '../../../cli/runtime.ts';

const ONE_OF_EACH: ComputeEvent[] = [
  {
    v: 1,
    type: 'run.requested',
    runId: 'r',
    dates: ['2026-01-01'],
    computations: null,
    force: false,
    repair: false,
    trigger: 'manual',
  },
  { v: 1, type: 'sweep.requested', runId: 'sweep-1' },
  { v: 1, type: 'pass.ready', runId: 'r', date: '2026-01-01', pass: 0, computations: ['A'] },
  {
    v: 1,
    type: 'batch.ready',
    runId: 'r',
    date: '2026-01-01',
    computation: 'A',
    batchId: 'b0',
    codeHash: 'h',
    leaseToken: 1,
    attempt: 0,
    contextKey: 'k',
  },
  {
    v: 1,
    type: 'batch.completed',
    runId: 'r',
    date: '2026-01-01',
    computation: 'A',
    batchId: 'b0',
    leaseToken: 1,
    attempt: 0,
    succeeded: 1,
    failed: 0,
  },
  {
    v: 1,
    type: 'computation.completed',
    runId: 'r',
    date: '2026-01-01',
    computation: 'A',
    pass: 0,
    status: 'completed',
  },
  { v: 1, type: 'run.completed', runId: 'r', status: 'completed' },
] as unknown as ComputeEvent[];

describe('the event routing table', () => {
  it('gives each topic one consuming service, and run-completions none', () => {
    expect(PUSH_ROUTES).toEqual({
      runs: 'planner',
      'computation-completions': 'planner',
      passes: 'executor',
      'batch-completions': 'executor',
      batches: 'worker',
    });
    expect(new Set(TOPICS)).toEqual(new Set([...Object.keys(PUSH_ROUTES), 'run-completions']));
    expect(TOPIC_OF['sweep.requested']).toBe('runs');
  });

  it('delivers every event over the in-process bus to the handler the table names, and nothing else', async () => {
    const seen: string[] = [];
    const record = (service: string, handler: string) => async (event: ComputeEvent) => {
      seen.push(`${event.type} -> ${service}.${handler}`);
    };
    const bus = new InProcessBus({ log: silentLogger() });
    subscribeServices(bus, {
      planner: {
        onRunRequested: record('planner', 'onRunRequested'),
        onSweepRequested: record('planner', 'onSweepRequested'),
        onComputationCompleted: record('planner', 'onComputationCompleted'),
      } as never,
      executor: {
        onPassReady: record('executor', 'onPassReady'),
        onBatchCompleted: record('executor', 'onBatchCompleted'),
      },
      worker: { onBatchReady: record('worker', 'onBatchReady') },
    });
    for (const event of ONE_OF_EACH) await bus.publish(event);
    await bus.idle();
    const expected = (Object.keys(EVENT_ROUTES) as EventType[]).flatMap((type) => {
      const route = EVENT_ROUTES[type];
      return route.service === null ? [] : [`${type} -> ${route.service}.${route.handler}`];
    });
    expect(seen.sort()).toEqual(expected.sort());
    expect(seen).toHaveLength(6);
  });
});
