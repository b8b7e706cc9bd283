import { describe, expect, it } from 'vitest';
import { emulatorMissing } from '../support/emulators.ts';
import { topologyPerTest } from '../support/topology-hooks.ts';
import { sql } from '../support/embedded.ts';
import { BODIES, expectedTotal } from '../support/scenario.ts';
import { runManually, stop } from '../support/topology.ts';

const D = '2026-01-26';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

/** Polls a service's /healthz every 200 ms; the longest answer (or wait for one) is what a liveness probe saw. */
function watchHealth(url: string): { stop(): Promise<{ longestMs: number; answered: number }> } {
  let longestMs = 0;
  let answered = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const response = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(30_000) }).catch(() => null);
      longestMs = Math.max(longestMs, Date.now() - started);
      if (response?.ok === true) answered++;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { longestMs, answered };
    },
  };
}

/**
 * Issue 25 item 1 and 2, issue 20 item 4, on real `compute serve worker`
 * processes: user code that loops in synchronous code, exits the process,
 * runs out of memory, or outlives its batch's budget fails its own entity,
 * named; the service keeps answering /healthz; the batch's other entities
 * and the computation beside it complete.
 */
describe.skipIf(missing !== null)('batches run where a crash or a hang fails one entity (emulators)', () => {
  const topologies = topologyPerTest();

  it('a 45 s busy loop, process.exit and an out-of-memory entity fail alone; /healthz answers throughout; the rest completes', async () => {
    const topology = await topologies.start({
      dates: [D],
      execution: { batchTimeoutSeconds: 20, breakerThreshold: 1 },
      configs: { Totals: { timeouts: { entitySeconds: 2 } } },
      workerEnv: { COMPUTE_WORKER_MEMORY_MB: '64', COMPUTE_WORKER_THREADS: '2' },
      bodies: {
        totals: `if (ctx.entityId === 'e003') { const end = Date.now() + 45_000; while (Date.now() < end) {} }
          if (ctx.entityId === 'e015') process.exit(3);
          if (ctx.entityId === 'e021') { const hog = []; for (;;) hog.push(new Array(1e5).fill(Math.random())); }
          ${BODIES.totals}`,
        // Its entity timeout is the default 300 s: the batch's 20 s budget caps it.
        streak: `if (ctx.entityId === 'e024') await new Promise((r) => setTimeout(r, 60_000)); ${BODIES.streak}`,
      },
    });
    const probes = topology.workers.map((w) => watchHealth(w.url));
    const { status } = await runManually(topology, [D], 90_000);
    const health = await Promise.all(probes.map((p) => p.stop()));
    // Finished (not left running for the watchdog), failed as a run since computations are partial.
    expect(status).toBe('failed');
    for (const probe of health) {
      expect(probe.answered).toBeGreaterThan(5);
      // Before, the worker's main thread ran the 45 s loop: /healthz went unanswered until the probe gave up (30 s).
      expect(probe.longestMs).toBeLessThan(5_000);
    }
    const states = new Map((await topology.store.states.list()).map((s) => [s.computation, s]));
    const totals = states.get('Totals')!;
    expect(totals.status).toBe('partial');
    expect(totals.counts!.succeeded + totals.counts!.failed).toBe(totals.counts!.planned);
    expect(totals.counts).toEqual({ planned: 25, succeeded: 22, failed: 3, stored: 22 });
    expect([...(totals.failedIds ?? [])].sort()).toEqual(['e003', 'e015', 'e021']);
    expect(totals.reason).toContain(
      'e003: timed out after 2 s (entityTimeoutSeconds): process() did not return and blocked its worker thread, which was replaced',
    );
    expect(totals.reason).toContain('e015: crashed: the worker thread exited with code 3 while this entity ran');
    expect(totals.reason).toContain('e021: crashed: the worker ran out of memory while this entity ran');
    const streak = states.get('Streak')!;
    expect(streak.status).toBe('partial');
    expect(streak.failedIds).toEqual(['e024']);
    expect(streak.reason).toContain(
      'e024: timed out: the batch ran out of time (batchTimeoutSeconds) while this entity ran',
    );
    expect(streak.counts!.succeeded + streak.counts!.failed).toBe(streak.counts!.planned);
    expect(states.get('Summary')!.status).toBe('completed');
    // Every other entity's value is right, and stored once.
    await stop(topology.executor);
    const rows = await sql(topology.project.root, [
      `SELECT entity_id, result::VARCHAR AS result FROM compute_results."Totals" WHERE date = DATE '${D}' ORDER BY entity_id`,
    ]);
    const expected = Array.from({ length: 25 }, (_, e) => e)
      .filter((e) => ![3, 15, 21].includes(e))
      .map((e) => ({ entity_id: `e${String(e).padStart(3, '0')}`, total: expectedTotal(e, 0) }));
    expect(
      rows.map((r) => ({ entity_id: r.entity_id, total: (JSON.parse(String(r.result)) as { total: number }).total })),
    ).toEqual(expected);
  }, 150_000);
});
