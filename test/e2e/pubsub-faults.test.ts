import { PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emulatorMissing, startEmulator, type Emulator } from '../support/emulators.ts';
import { runProject } from '../support/embedded.ts';
import { BODIES, scenarioProject } from '../support/scenario.ts';
import { checkInvariants, PROJECT_ID, runManually, startTopology, type Topology } from '../support/topology.ts';

const D = '2026-01-26';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
/** Slow enough per entity that a fault lands in the middle of the work. */
const slow = (ms: number) => `await new Promise((r) => setTimeout(r, ${ms})); `;

/**
 * Faults on the emulator topology. Each ends with DESIGN.md section 6's
 * invariant: everything completed, succeeded + failed = planned, no result
 * stored twice, and the same result hashes as a clean embedded run.
 */
describe.skipIf(missing !== null)('distributed run under faults (emulators)', () => {
  let pubsub: Emulator;
  let firestore: Emulator;
  let reference: Record<string, Record<string, string | null>> = {};
  let topology: Topology | undefined;

  beforeAll(async () => {
    [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    for (const entities of [25, 120]) {
      // The topology's project holds the scenario's three dates; run only D, as the tests do.
      const clean = await scenarioProject({ entities });
      const outcome = await runProject(clean.root, { dates: [D] });
      reference[entities] = Object.fromEntries(
        outcome.summary.computations.map((c) => [`${c.date}/${c.name}`, c.resultHash]),
      );
      await clean.remove();
    }
  }, 180_000);
  afterEach(async () => {
    await topology?.close();
    topology = undefined;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pubsub?.stop(), firestore?.stop()]);
    delete process.env.PUBSUB_EMULATOR_HOST;
  }, 60_000);

  it('every message delivered twice', async () => {
    topology = await startTopology(pubsub, firestore);
    // A second push subscription on every pushed topic: each message arrives twice, with two message ids.
    const client = new PubSub({ projectId: PROJECT_ID });
    const [subscriptions] = await client.getSubscriptions();
    for (const subscription of subscriptions.filter(
      (s) => s.name.includes(`${topology!.prefix}-`) && s.name.includes('-to-'),
    )) {
      const [metadata] = await subscription.getMetadata();
      await client.topic(metadata.topic!).createSubscription(`${subscription.name.split('/').pop()}-again`, {
        pushConfig: { pushEndpoint: metadata.pushConfig!.pushEndpoint! },
      });
    }
    await client.close();
    expect((await runManually(topology, [D])).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference[25]);
  }, 180_000);

  it('a worker killed with SIGKILL in the middle of a batch', async () => {
    topology = await startTopology(pubsub, firestore, { entities: 120, bodies: { totals: slow(20) + BODIES.totals } });
    const run = runManually(topology, [D]);
    const victim = topology.workers[0]!;
    while (!victim.stdout.some((line) => line.includes('processed')) && victim.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 20));
    victim.child.kill('SIGKILL');
    expect((await run).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference[120]);
  }, 180_000);

  it("the executor killed after publishing part of a computation's batches, then restarted", async () => {
    topology = await startTopology(pubsub, firestore, {
      entities: 120,
      bodies: { totals: slow(15) + BODIES.totals },
      execution: { maxInFlightBatches: 3 },
    });
    const run = runManually(topology, [D]);
    const processed = () =>
      topology!.workers.reduce((n, w) => n + w.stdout.filter((line) => line.includes('of Totals processed')).length, 0);
    while (processed() < 2) await new Promise((r) => setTimeout(r, 20));
    await topology.restartExecutor('SIGKILL');
    expect((await run).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference[120]);
  }, 180_000);

  it('a worker whose code differs refuses batches with a version-skew error; the others do them', async () => {
    topology = await startTopology(pubsub, firestore, {
      skewedBodies: { totals: 'return { total: -1 };', doubled: 'return null;', streak: 'return null;' },
    });
    expect((await runManually(topology, [D])).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference[25]);
    const skewed = topology.workers[2]!;
    // Every batch it was handed, it refused (409), and the balancer's other workers did the work.
    expect(skewed.stdout.some((line) => line.includes('Version skew: batch of'))).toBe(true);
    expect(skewed.stdout.some((line) => line.includes('processed'))).toBe(false);
  }, 180_000);

  it('malformed messages and an unknown event type are acknowledged, logged, and change nothing', async () => {
    topology = await startTopology(pubsub, firestore);
    const client = new PubSub({ projectId: PROJECT_ID });
    await client.topic(`${topology.prefix}-passes`).publishMessage({ data: Buffer.from('{ not json') });
    await client
      .topic(`${topology.prefix}-batches`)
      .publishMessage({ json: { v: 1, type: 'coffee.ready', runId: 'x' } });
    await client
      .topic(`${topology.prefix}-passes`)
      .publishMessage({ json: { v: 1, type: 'pass.ready', runId: 'x', date: 'yesterday', pass: 0 } });
    await client.close();
    expect((await runManually(topology, [D])).status).toBe('completed');
    const lines = [topology.executor, ...topology.workers].flatMap((s) => s.stdout);
    expect(lines.filter((line) => line.includes('Poison message acknowledged')).length).toBeGreaterThanOrEqual(3);
    expect(await checkInvariants(topology, [D])).toEqual(reference[25]);
  }, 180_000);

  it('a stale lease left by a dead executor elsewhere is taken over', async () => {
    topology = await startTopology(pubsub, firestore);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const stale = await topology.store.leases.acquire(
      { computation: 'Totals', date: D },
      'another-host:4242:dead',
      3_600_000,
      twoHoursAgo,
    );
    expect(stale.acquired).toBe(true);
    expect((await runManually(topology, [D])).status).toBe('completed');
    expect((await topology.store.leases.get({ computation: 'Totals', date: D }))!.token).toBe(2);
    expect(await checkInvariants(topology, [D])).toEqual(reference[25]);
  }, 180_000);
});
