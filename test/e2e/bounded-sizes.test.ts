import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { topologyPerTest } from '../support/topology-hooks.ts';
import { emulatorMissing } from '../support/emulators.ts';
import { PROJECT_ID, type Topology } from '../support/topology.ts';

const D = '2026-01-26';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

async function publishRun(topology: Topology, message: Record<string, unknown>): Promise<void> {
  const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
  await client.topic(`${topology.prefix}-runs`).publishMessage({ json: message });
  await client.close();
}

async function waitForRun(topology: Topology, runId: string, ms = 120_000): Promise<string> {
  const until = Date.now() + ms;
  let status = 'missing';
  while (Date.now() < until) {
    status = (await topology.store.runs.get(runId))?.status ?? 'missing';
    if (status !== 'running' && status !== 'missing') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return status;
}

/**
 * Issue 20, item 5: Firestore's limits never turn data into endless
 * retries. Real services on the Pub/Sub and Firestore emulators.
 */
describe.skipIf(missing !== null)('bounded sizes on Firestore (emulators)', () => {
  const topologies = topologyPerTest();

  it('250 KB error messages: the run finishes, the stored errors are cut saying their length', async () => {
    const topology = await topologies.start({
      entities: 12,
      bodies: { totals: "throw new Error('boom '.repeat(50_000));" },
    });
    await publishRun(topology, { date: D, runId: 'huge-errors' });
    expect(await waitForRun(topology, 'huge-errors')).toBe('failed');
    const totals = await topology.store.states.get(D, 'Totals');
    expect(totals?.status).toBe('failed');
    // Entity 7 has no rows on D (the scenario skips it there).
    expect(totals?.counts).toMatchObject({ planned: 11, failed: 11, succeeded: 0 });
    const stored = JSON.stringify(totals);
    expect(stored.length).toBeLessThan(100_000);
    expect(stored).toContain('(cut: 250000 characters in all)');
    // Each batch ran once: no redelivery loop re-ran its entities.
    const failures = topology.workers.flatMap((w) => w.stdout).filter((l) => l.includes('Worker failed on entity'));
    expect(failures.length).toBe(11);
  }, 180_000);

  it("run ids Firestore reserves ('__x__') run; '..' and one over 128 characters are refused, not retried", async () => {
    const topology = await topologies.start({ entities: 3 });
    await publishRun(topology, { date: D, runId: '__x__' });
    expect(await waitForRun(topology, '__x__')).toBe('completed');
    await publishRun(topology, { date: D, runId: '..' });
    await publishRun(topology, { date: D, runId: 'r'.repeat(1600) });
    await new Promise((r) => setTimeout(r, 2000));
    const poison = topology.executor.stdout.filter((l) => l.includes('Poison message acknowledged'));
    expect(poison.filter((l) => l.includes("got '..'"))).toHaveLength(1);
    expect(poison.filter((l) => l.includes('(1600 characters)'))).toHaveLength(1);
    // Logged bounded: no line carries the long id whole.
    expect(topology.executor.stdout.some((l) => l.includes('r'.repeat(1600)))).toBe(false);
    expect(
      topology.executor.stdout.filter((l) => l.includes('"severity":"ERROR"') && l.includes('Request failed')),
    ).toEqual([]);
  }, 180_000);
});
