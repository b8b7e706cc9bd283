import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../shared/errors.ts';
import type { BatchCompleted, ComputeEvent } from '../../shared/events/contracts.ts';
import { TOPIC_OF } from '../../shared/events/routes.ts';
import type { EventBus } from '../../shared/ports/event-bus.ts';

/** A bus opened for one test, with whatever it must release afterwards. */
export interface OpenBus {
  bus: EventBus;
  close(): Promise<void>;
}

/** One event of every type the services exchange, each valid on the wire. */
export const ONE_OF_EACH: ComputeEvent[] = [
  { v: 1, type: 'run.requested', runId: 'r1', dates: ['2026-01-26'], computations: null, force: false, trigger: 'cli' },
  { v: 1, type: 'sweep.requested', runId: 'sweep-1' },
  { v: 1, type: 'pass.ready', runId: 'r1', date: '2026-01-26', pass: 0 },
  {
    v: 1,
    type: 'batch.ready',
    runId: 'r1',
    date: '2026-01-26',
    computation: 'Totals',
    batchId: 'Totals/2026-01-26/b000000',
    index: 0,
    contextBlob: 'runs/r1/Totals/2026-01-26/b000000.context.json',
    codeHash: 'c0ffee',
    leaseToken: 3,
    attempt: 0,
  },
  completion(0),
  {
    v: 1,
    type: 'computation.completed',
    runId: 'r1',
    date: '2026-01-26',
    computation: 'Totals',
    pass: 0,
    status: 'partial',
  },
  { v: 1, type: 'run.completed', runId: 'r1', status: 'failed' },
];

function completion(index: number): BatchCompleted {
  return {
    v: 1,
    type: 'batch.completed',
    runId: 'r1',
    date: '2026-01-26',
    computation: 'Zoë — 株式 😀',
    batchId: `Totals/2026-01-26/b${String(index).padStart(6, '0')}`,
    leaseToken: 3,
    attempt: 0,
    succeeded: index,
    failed: 0,
  };
}

/** Collects events delivered to a handler and resolves once a condition holds (or rejects after `ms`). */
function collector(): {
  events: ComputeEvent[];
  handler: (event: ComputeEvent) => Promise<void>;
  until(done: (events: ComputeEvent[]) => boolean, ms?: number): Promise<ComputeEvent[]>;
} {
  const events: ComputeEvent[] = [];
  let check = (): void => {};
  return {
    events,
    handler: async (event) => {
      events.push(event);
      check();
    },
    until(done, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out with ${events.length} events delivered`)), ms);
        check = () => {
          if (!done(events)) return;
          clearTimeout(timer);
          resolve(events);
        };
        check();
      });
    },
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One suite over every EventBus adapter: at-least-once delivery on the
 * topic TOPIC_OF names, the event arriving equal to what was published,
 * redelivery after a handler fails, and no redelivery of poison.
 * `settleMs` is how long to wait before concluding nothing more arrives.
 */
export function eventBusContract(
  adapter: string,
  open: (name: string) => Promise<OpenBus>,
  options: { skip?: string | null; settleMs?: number } = {},
): void {
  const settleMs = options.settleMs ?? 300;
  describe.skipIf(Boolean(options.skip))(`EventBus contract: ${adapter}`, () => {
    it('delivers every event type on its own topic, equal to what was published, and to no other topic', async () => {
      const opened = await open('every-type');
      try {
        const byTopic = new Map<string, ReturnType<typeof collector>>();
        for (const topic of new Set(Object.values(TOPIC_OF))) {
          const seen = collector();
          byTopic.set(topic, seen);
          opened.bus.subscribe(topic, seen.handler);
        }
        for (const event of ONE_OF_EACH) await opened.bus.publish(event);
        for (const [topic, seen] of byTopic) {
          const expected = ONE_OF_EACH.filter((event) => TOPIC_OF[event.type] === topic);
          await seen.until((events) => expected.every((e) => events.some((got) => equal(got, e))));
        }
        await pause(settleMs);
        for (const [topic, seen] of byTopic) {
          expect(
            seen.events.every((event) => TOPIC_OF[event.type] === topic),
            topic,
          ).toBe(true);
        }
      } finally {
        await opened.close();
      }
    }, 60_000);

    it('delivers each of 50 events published at once at least once', async () => {
      const opened = await open('burst');
      try {
        const seen = collector();
        opened.bus.subscribe('batch-completions', seen.handler);
        const sent = Array.from({ length: 50 }, (_, i) => completion(i));
        await Promise.all(sent.map((event) => opened.bus.publish(event)));
        const wanted = new Set(sent.map((event) => event.batchId));
        const events = await seen.until((got) => wanted.size === new Set(got.map(batchIdOf)).size);
        expect(new Set(events.map(batchIdOf))).toEqual(wanted);
        // The copy a handler gets is the event as published (encoding kept non-ASCII text).
        expect(events.find((e) => batchIdOf(e) === sent[7]!.batchId)).toEqual(sent[7]);
      } finally {
        await opened.close();
      }
    }, 60_000);

    it('delivers again after the handler fails, until it succeeds', async () => {
      const opened = await open('retry');
      try {
        let attempts = 0;
        const handled = collector();
        opened.bus.subscribe('passes', async (event) => {
          attempts++;
          if (attempts < 3) throw new Error(`transient failure ${attempts}`);
          await handled.handler(event);
        });
        await opened.bus.publish(ONE_OF_EACH[2]!);
        const events = await handled.until((got) => got.length >= 1);
        expect(attempts).toBeGreaterThanOrEqual(3);
        expect(events[0]).toEqual(ONE_OF_EACH[2]);
      } finally {
        await opened.close();
      }
    }, 60_000);

    it('does not deliver a poison event again, and goes on delivering the next', async () => {
      const opened = await open('poison');
      try {
        let poisoned = 0;
        const good = collector();
        opened.bus.subscribe('computation-completions', async (event) => {
          if (event.type === 'computation.completed' && event.computation === 'Poison') {
            poisoned++;
            throw new PoisonMessageError('INVALID_EVENT', 'this event can never be handled');
          }
          await good.handler(event);
        });
        await opened.bus.publish({ ...(ONE_OF_EACH[5] as object), computation: 'Poison' } as ComputeEvent);
        await opened.bus.publish(ONE_OF_EACH[5]!);
        await good.until((got) => got.length >= 1);
        await pause(settleMs * 4);
        expect(poisoned).toBe(1);
      } finally {
        await opened.close();
      }
    }, 60_000);
  });
}

function batchIdOf(event: ComputeEvent): string {
  return 'batchId' in event ? event.batchId : '';
}

function equal(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}
