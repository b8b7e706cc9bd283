import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { topologyPerTest } from '../support/topology-hooks.ts';
import { emulatorMissing } from '../support/emulators.ts';
import { BODIES } from '../support/scenario.ts';
import { PROJECT_ID, runManually, type Topology } from '../support/topology.ts';

const D = '2026-01-26';
/** A date the scenario has data for, but no run below covers. */
const OTHER = '2026-01-27';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

/** A Pub/Sub push body carrying `event`, as anyone who can reach `/` can send it. */
function push(event: Record<string, unknown>, messageId: string) {
  return JSON.stringify({
    message: { data: Buffer.from(JSON.stringify({ v: 1, ...event })).toString('base64'), messageId },
    subscription: 'projects/demo-compute/subscriptions/forged',
  });
}

async function deliver(topology: Topology, event: Record<string, unknown>, messageId: string): Promise<number> {
  const response = await fetch(topology.front.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: push(event, messageId),
  });
  return response.status;
}

const refusals = (topology: Topology) =>
  topology.executor.stdout.filter((line) => line.includes('Poison message acknowledged') && line.includes('refused'));

/**
 * Issue 20, item 1: internal events are checked against the stored run and
 * states before they change anything (DESIGN.md 5b). Real services on the
 * Pub/Sub and Firestore emulators; forged events pushed straight to `/`.
 */
describe.skipIf(missing !== null)('forged internal events (emulators)', () => {
  const topologies = topologyPerTest();

  it('after a run finished, a completion or a pass for a date it never covered changes nothing', async () => {
    const topology = await topologies.start({ entities: 5 });
    const { runId, status } = await runManually(topology, [D]);
    expect(status).toBe('completed');
    // Late redeliveries may still record a step after the run finished: wait until the run is quiet.
    let stepsBefore = await topology.store.runs.steps(runId, '');
    for (let quiet = 0, tries = 0; quiet < 3 && tries < 40; tries++) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await topology.store.runs.steps(runId, '');
      quiet = now.length === stepsBefore.length ? quiet + 1 : 0;
      stepsBefore = now;
    }

    const forged = [
      { type: 'computation.completed', runId, date: OTHER, computation: 'Totals', pass: 0, status: 'completed' },
      { type: 'computation.completed', runId, date: D, computation: 'Totals', pass: 1, status: 'completed' },
      { type: 'computation.completed', runId, date: D, computation: 'Doubled', pass: 1, status: 'blocked' },
      { type: 'pass.ready', runId, date: OTHER, pass: 1 },
      { type: 'pass.ready', runId: 'run-nobody', date: D, pass: 0 },
    ];
    for (const [index, event] of forged.entries()) expect(await deliver(topology, event, `f-${index}`)).toBe(204);

    // Nothing opened, nothing stored on the other date, the run's record as it was.
    const stepsAfter = await topology.store.runs.steps(runId, '');
    expect(stepsAfter.filter((step) => !stepsBefore.includes(step))).toEqual([]);
    expect((await topology.store.states.list(OTHER)).map((s) => `${s.computation}=${s.status}`)).toEqual([]);
    expect((await topology.store.runs.get(runId))?.status).toBe('completed');
    const states = await topology.store.states.list(D);
    expect(states.map((s) => `${s.computation}=${s.status}`).sort()).toEqual([
      'Doubled=completed',
      'Streak=completed',
      'Summary=completed',
      'Totals=completed',
    ]);
    expect(refusals(topology)).toHaveLength(forged.length);
  }, 180_000);

  it('mid-run, a forged completion of a running computation does not open the next pass early', async () => {
    // Totals takes a while per entity, so the forged event lands while it runs.
    const topology = await topologies.start({
      entities: 4,
      bodies: { totals: `await new Promise((r) => setTimeout(r, 1500)); ${BODIES.totals}` },
    });
    const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
    const messageId = await client.topic(`${topology.prefix}-runs`).publishMessage({ json: { date: D } });
    await client.close();
    const runId = `run-${messageId}`;
    // Wait until Totals is running, then forge its completion.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await topology.store.states.get(D, 'Totals'))?.status !== 'running')
      await new Promise((r) => setTimeout(r, 100));
    expect((await topology.store.states.get(D, 'Totals'))?.status).toBe('running');
    const forged = {
      type: 'computation.completed',
      runId,
      date: D,
      computation: 'Totals',
      pass: 0,
      status: 'completed',
    };
    expect(await deliver(topology, forged, 'mid-1')).toBe(204);
    expect(await deliver(topology, { ...forged, computation: 'Streak' }, 'mid-2')).toBe(204);
    // Pass 1 is not open while Totals still runs.
    expect((await topology.store.runs.steps(runId, `pass/${D}/1`)).length).toBe(0);
    expect((await topology.store.states.get(D, 'Doubled'))?.status).not.toBe('blocked');

    // The run finishes on its own, with every computation completed (none blocked).
    const until = Date.now() + 120_000;
    while (Date.now() < until && (await topology.store.runs.get(runId))?.status === 'running')
      await new Promise((r) => setTimeout(r, 200));
    expect((await topology.store.runs.get(runId))?.status).toBe('completed');
    const states = await topology.store.states.list(D);
    expect(states.filter((s) => s.status !== 'completed' && s.status !== 'skipped')).toEqual([]);
    expect(refusals(topology).length).toBeGreaterThanOrEqual(2);
  }, 240_000);
});
