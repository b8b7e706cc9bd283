import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanRunHashes } from '../support/clean-run.ts';
import { cli, json } from '../support/cli.ts';
import { emulatorMissing } from '../support/emulators.ts';
import { BODIES, slow } from '../support/scenario.ts';
import { topologyPerTest } from '../support/topology-hooks.ts';
import { checkInvariants, PROJECT_ID, runManually, type Topology } from '../support/topology.ts';

const D = '2026-01-26';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

/**
 * Faults on the emulator topology (the longer takeover and deploy scenarios
 * are in pubsub-takeovers.slow.test.ts, run by `npm run test:slow`). Each ends with DESIGN.md section 6's
 * invariant: everything completed, succeeded + failed = planned, no result
 * stored twice, and the same result hashes as a clean embedded run.
 */
describe.skipIf(missing !== null)('distributed run under faults (emulators)', () => {
  const topologies = topologyPerTest();
  let reference: Record<string, Record<string, string | null>> = {};
  let topology: Topology | undefined;

  beforeAll(async () => {
    reference = await cleanRunHashes(
      {
        '25': { entities: 25 },
        '120': { entities: 120 },
      },
      D,
    );
  }, 180_000);

  it('every message delivered twice', async () => {
    topology = await topologies.start();
    // A second push subscription on every pushed topic: each message arrives twice, with two message ids.
    const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
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
    expect(await checkInvariants(topology, [D])).toEqual(reference['25']);
  }, 180_000);

  it('every batch.ready and batch.completed republished under a new message id (scenario 5)', async () => {
    topology = await topologies.start();
    // A pull subscription beside the push one on each topic publishes every message once more, as a
    // publisher's retry would: the same data, a new message id.
    const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
    const ids = { original: new Set<string>(), republished: new Set<string>() };
    const republishing: Array<Promise<unknown>> = [];
    const subscriptions = await Promise.all(
      ['batches', 'batch-completions'].map(async (name) => {
        const topic = client.topic(`${topology!.prefix}-${name}`);
        const [subscription] = await topic.createSubscription(`${topology!.prefix}-${name}-republisher`);
        subscription.on('message', (message: Message) => {
          message.ack();
          if (message.attributes.republished === '1') return;
          ids.original.add(message.id);
          republishing.push(
            topic
              .publishMessage({ data: message.data, attributes: { ...message.attributes, republished: '1' } })
              .then((id) => ids.republished.add(id)),
          );
        });
        return subscription;
      }),
    );
    try {
      expect((await runManually(topology, [D])).status).toBe('completed');
      await Promise.all(republishing);
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()));
      await client.close();
    }
    // Every batch message went out twice under two ids, and nothing was counted or stored twice.
    expect(ids.original.size).toBeGreaterThan(10);
    expect(ids.republished.size).toBe(ids.original.size);
    expect([...ids.republished].some((id) => ids.original.has(id))).toBe(false);
    expect(await checkInvariants(topology, [D])).toEqual(reference['25']);
  }, 180_000);

  it('a worker killed with SIGKILL in the middle of a batch', async () => {
    topology = await topologies.start({ entities: 120, bodies: { totals: slow(20) + BODIES.totals } });
    const run = runManually(topology, [D]);
    const victim = topology.workers[0]!;
    while (!victim.stdout.some((line) => line.includes('processed')) && victim.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 20));
    victim.child.kill('SIGKILL');
    expect((await run).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference['120']);
  }, 180_000);

  it("the executor killed after publishing part of a computation's batches, then restarted", async () => {
    topology = await topologies.start({
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
    expect(await checkInvariants(topology, [D])).toEqual(reference['120']);
  }, 180_000);

  it('malformed, unknown and impossible messages are acknowledged once as poison, logged, and change nothing', async () => {
    topology = await topologies.start();
    const validated = await cli(['validate', '--json', '--project', topology.project.root]);
    const codeHash = json<{ computations: Array<{ name: string; codeHash: string }> }>(validated).computations.find(
      (c) => c.name === 'Totals',
    )!.codeHash;
    const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
    const publish = (topic: string, message: { json: unknown } | { data: Buffer }) =>
      client.topic(`${topology!.prefix}-${topic}`).publishMessage(message);
    await publish('passes', { data: Buffer.from('{ not json') });
    await publish('batches', { json: { v: 1, type: 'coffee.ready', runId: 'x' } });
    await publish('passes', { json: { v: 1, type: 'pass.ready', runId: 'x', date: 'yesterday', pass: 0 } });
    const unknownComputation = await publish('runs', { json: { date: D, computation: 'Total' } });
    await publish('runs', { json: { date: '2026-02-30' } });
    await publish('passes', { json: { v: 1, type: 'pass.ready', runId: 'run-nobody-started', date: D, pass: 0 } });
    await publish('batches', {
      json: {
        v: 1,
        type: 'batch.ready',
        runId: 'run-x',
        date: D,
        computation: 'Totals',
        batchId: 'b000000',
        index: 0,
        contextBlob: '../../../../etc/passwd',
        codeHash,
        leaseToken: 1,
        attempt: 1,
      },
    });
    await client.close();
    // A push body whose message is null, straight to the service.
    const pushed = await fetch(topology.front.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: null, subscription: 'projects/p/subscriptions/s' }),
    });
    expect(pushed.status).toBe(204);
    expect((await runManually(topology, [D])).status).toBe('completed');
    const lines = [topology.executor, ...topology.workers].flatMap((s) => s.stdout);
    const poison = lines.filter((line) => line.includes('Poison message acknowledged'));
    const once = (text: string) =>
      expect(
        poison.filter((line) => line.includes(text)),
        `${text} among:\n${poison.join('\n')}`,
      ).toHaveLength(1);
    once(`names computations this project does not have: 'Total' (did you mean 'Totals'?)`);
    once(
      "field 'date' must be a date as YYYY-MM-DD, or 'today', 'yesterday' or 'today-N' (UTC): '2026-02-30' is not a calendar date",
    );
    once('pass.ready for run run-nobody-started refused: the state store holds no such run');
    once("contextBlob must be a blob of the batch's own run, computation and date");
    once('The push body has no message.data');
    // Nothing was answered with an error for Pub/Sub to retry.
    expect(lines.filter((line) => line.includes('Pub/Sub will redeliver'))).toEqual([]);
    expect(poison.length).toBeGreaterThanOrEqual(8);
    const failedRun = await topology.store.runs.get(`run-${unknownComputation}`);
    expect(failedRun).toMatchObject({ status: 'failed', error: expect.stringContaining("did you mean 'Totals'?") });
    expect(await checkInvariants(topology, [D])).toEqual(reference['25']);
  }, 180_000);
});
