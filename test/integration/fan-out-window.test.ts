import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../shared/adapters/inprocess/inprocess-bus.ts';
import { openRuntime } from '../../cli/runtime.ts';
import type { BatchReady, ComputeEvent } from '../../shared/events/contracts.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { EventBus, EventHandler } from '../../shared/ports/event-bus.ts';
import { loadProjectConfig } from '../../shared/project/project-config.ts';
import { ledgerKey } from '../../shared/batches/batch-files.ts';
import { scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';

/** The in-process bus, except that batch.ready events wait for the test to hand them to the worker. */
class HoldingBus implements EventBus {
  readonly inner = new InProcessBus();
  readonly held: BatchReady[] = [];
  readonly ready: BatchReady[] = [];

  async publish(event: ComputeEvent): Promise<void> {
    if (event.type !== 'batch.ready') return this.inner.publish(event);
    this.held.push(event);
    this.ready.push(event);
  }

  subscribe(topic: string, handler: EventHandler): void {
    this.inner.subscribe(topic, handler);
  }
}

describe('the fan-out window (maxInFlightBatches)', () => {
  let project: TempProject | undefined;
  afterEach(async () => {
    await project?.remove();
    project = undefined;
  });

  it('keeps at most the window out per computation as batches complete one by one, and publishes every batch exactly once', async () => {
    const window = 3;
    project = await scenarioProject({
      entities: 200,
      config: { batchSize: 10, execution: { maxInFlightBatches: window } },
    });
    const config = await loadProjectConfig(project.root, {});
    const manifest = await requireManifest(config);
    const bus = new HoldingBus();
    const runtime = await openRuntime(manifest, {
      log: createLogger({ destination: { write: () => undefined } }),
      bus,
    });
    try {
      await bus.publish({
        v: 1,
        type: 'run.requested',
        runId: 'window',
        dates: [D],
        computations: null,
        force: false,
        trigger: 'test',
      });
      await bus.inner.idle();
      const most = new Map<string, number>();
      const out = async (name: string): Promise<number> => {
        const attempts = new Set(bus.ready.filter((e) => e.computation === name).map((e) => e.attempt));
        let completed = 0;
        for (const attempt of attempts)
          completed += (await runtime.ports.state.ledger.summary(ledgerKey('window', name, D, attempt))).completed;
        return bus.ready.filter((e) => e.computation === name).length - completed;
      };
      // Complete the oldest held batch, one at a time, letting the executor react in between.
      for (let step = 0; bus.held.length > 0 && step < 500; step++) {
        const next = bus.held.shift()!;
        await runtime.worker.onBatchReady(next);
        await bus.inner.idle();
        for (const name of ['Totals', 'Streak', 'Doubled']) {
          const now = await out(name);
          most.set(name, Math.max(most.get(name) ?? 0, now));
          expect(now, `${name} after step ${step}`).toBeLessThanOrEqual(window);
        }
      }
      expect((await runtime.ports.state.runs.get('window'))!.status).toBe('completed');
      for (const name of ['Totals', 'Streak', 'Doubled']) {
        const ids = bus.ready.filter((e) => e.computation === name).map((e) => e.batchId);
        // 199 entities have rows that day: 20 batches, each published once.
        expect(ids, name).toHaveLength(20);
        expect([...ids].sort(), name).toEqual(Array.from({ length: 20 }, (_, i) => `b${String(i).padStart(6, '0')}`));
        expect(most.get(name), name).toBe(window);
      }
    } finally {
      await runtime.close();
    }
  });
});
