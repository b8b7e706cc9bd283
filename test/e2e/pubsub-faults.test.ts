import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerKey } from '../../shared/runtime/batch-files.ts';
import { acquireLease } from '../../shared/state/leases.ts';
import { cli, json } from '../support/cli.ts';
import { emulatorMissing } from '../support/emulators.ts';
import { topologyPerTest } from '../support/topology-hooks.ts';
import { runProject } from '../support/embedded.ts';
import { BODIES, computationFile, CONFIGS, scenarioProject } from '../support/scenario.ts';
import {
  checkInvariants,
  PROJECT_ID,
  runManually,
  serve,
  startSweeping,
  stop,
  type Topology,
} from '../support/topology.ts';

const D = '2026-01-26';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
/** Slow enough per entity that a fault lands in the middle of the work. */
const slow = (ms: number) => `await new Promise((r) => setTimeout(r, ${ms})); `;
/** Totals as a new deploy computes it. */
const NEW_TOTALS = 'return { total: ctx.data.events.reduce((sum, row) => sum + row.value, 0) + 1000 };';

/**
 * Faults on the emulator topology. Each ends with DESIGN.md section 6's
 * invariant: everything completed, succeeded + failed = planned, no result
 * stored twice, and the same result hashes as a clean embedded run.
 */
describe.skipIf(missing !== null)('distributed run under faults (emulators)', () => {
  const topologies = topologyPerTest();
  const reference: Record<string, Record<string, string | null>> = {};
  let topology: Topology | undefined;

  beforeAll(async () => {
    const cases: Array<[string, number, Partial<typeof BODIES>]> = [
      ['25', 25, {}],
      ['20', 20, {}],
      ['120', 120, {}],
      ['1000', 1000, {}],
      ['120-new-code', 120, { totals: NEW_TOTALS }],
    ];
    for (const [name, entities, bodies] of cases) {
      // The topology's project holds the scenario's three dates; run only D, as the tests do.
      const clean = await scenarioProject({ entities, bodies });
      const outcome = await runProject(clean.root, { dates: [D] });
      reference[name] = Object.fromEntries(
        outcome.summary.computations.map((c) => [`${c.date}/${c.name}`, c.resultHash]),
      );
      await clean.remove();
    }
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

  it('a worker whose code differs refuses batches with a version-skew error; the others do them', async () => {
    topology = await topologies.start({
      skewedBodies: { totals: 'return { total: -1 };', doubled: 'return null;', streak: 'return null;' },
    });
    expect((await runManually(topology, [D])).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference['25']);
    const skewed = topology.workers[2]!;
    // Every batch it was handed, it refused (409), and the balancer's other workers did the work.
    expect(skewed.stdout.some((line) => line.includes('Version skew: batch of'))).toBe(true);
    expect(skewed.stdout.some((line) => line.includes('processed'))).toBe(false);
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

  it('a stale lease left by a dead executor elsewhere is taken over', async () => {
    topology = await topologies.start({ execution: { leaseTtlSeconds: 3 } });
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const stale = await acquireLease(
      topology.store.leases,
      { computation: 'Totals', date: D },
      'another-host:4242:dead',
      twoHoursAgo,
      () => true,
    );
    expect(stale.acquired).toBe(true);
    // Silence is judged on Firestore's clock, not the dead holder's stamp: it goes stale 3 s after it was taken.
    await new Promise((r) => setTimeout(r, 3500));
    expect((await runManually(topology, [D])).status).toBe('completed');
    expect((await topology.store.leases.get({ computation: 'Totals', date: D }))!.token).toBe(2);
    expect(await checkInvariants(topology, [D])).toEqual(reference['25']);
  }, 180_000);

  it('an executor on another host killed mid-computation: the watchdog takes its stale lease over and the run completes', async () => {
    topology = await topologies.start({
      entities: 1000,
      execution: { leaseTtlSeconds: 3 },
    });
    const run = runManually(topology, [D]);
    // Kill it in the middle of its fan-out: some of Totals' 100 batches planned, the plan not sealed.
    const plan = async () => {
      const lease = await topology!.store.leases.get({ computation: 'Totals', date: D });
      const [runId] = (await topology!.store.runs.list(1)).map((r) => r.runId);
      if (lease === null || runId === undefined) return null;
      return topology!.store.ledger.getPlan(ledgerKey(runId, 'Totals', D, lease.attempt));
    };
    for (let found = await plan(); found === null || found.sealed; found = await plan())
      await new Promise((r) => setTimeout(r, 2));
    const port = topology.executor.port;
    await stop(topology.executor, 'SIGKILL');
    expect((await plan())!.sealed, 'the fan-out was still planning when its executor died').toBe(false);
    // It ran on another host: nothing here can see that its process is gone, only that its lease goes quiet.
    await topology.store.leases.change({ computation: 'Totals', date: D }, (current) =>
      current === null ? null : { ...current, owner: current.owner.replace(/^[^:]+/, 'another-host') },
    );
    topology.executor = await serve(topology.project.root, 'planner,executor', topology.env, port);
    const sweeping = startSweeping(topology, 1000);
    try {
      expect((await run).status).toBe('completed');
    } finally {
      await sweeping.stop();
    }
    const lines = topology.executor.stdout;
    expect(lines.some((line) => line.includes('Took the lease of Totals on 2026-01-26 over from another-host'))).toBe(
      true,
    );
    // Whichever came first after the lease went quiet did it: the watchdog's sweep or the redelivered pass.ready.
    expect(await checkInvariants(topology, [D])).toEqual(reference['1000']);
  }, 180_000);

  it('a rolling deploy mid-run: old-code batches are superseded and the work is re-planned under the new code', async () => {
    topology = await topologies.start({
      entities: 120,
      bodies: { totals: slow(15) + BODIES.totals },
      execution: { maxInFlightBatches: 3, shutdownGraceSeconds: 1 },
    });
    const run = runManually(topology, [D]);
    const processed = () =>
      topology!.workers.reduce((n, w) => n + w.stdout.filter((line) => line.includes('of Totals processed')).length, 0);
    while (processed() < 2) await new Promise((r) => setTimeout(r, 20));
    // The deploy: Totals changes; the executor and every worker restart with the new code.
    await topology.project.write(
      'computations/totals.js',
      computationFile('Totals', CONFIGS.Totals, slow(15) + NEW_TOTALS),
    );
    await Promise.all([topology.restartExecutor('SIGTERM'), topology.restartWorker(0), topology.restartWorker(1)]);
    const sweeping = startSweeping(topology, 1000);
    try {
      expect((await run).status).toBe('completed');
    } finally {
      await sweeping.stop();
    }
    expect(
      topology.executor.stdout.some((line) => line.includes('was planned with other code; superseding that attempt')),
    ).toBe(true);
    expect(await checkInvariants(topology, [D])).toEqual(reference['120-new-code']);
  }, 180_000);

  it('SIGTERM in the middle of a batch: the worker answers within its grace and exits; the batch is redone', async () => {
    topology = await topologies.start({
      entities: 20,
      // Every batch of the first pass takes four seconds.
      bodies: { totals: slow(400) + BODIES.totals, streak: slow(400) + BODIES.streak },
      execution: { shutdownGraceSeconds: 2 },
    });
    const run = runManually(topology, [D]);
    // Wait until the victim holds a batch (ten entities, four seconds of work).
    const victim = topology.workers[0]!;
    const busy = async () =>
      ((await (await fetch(`${victim.url}healthz`)).json()) as { inFlight: number }).inFlight > 0;
    while (!(await busy())) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const code = await stop(victim, 'SIGTERM');
    // Cloud Run sends SIGKILL ten seconds after SIGTERM: the worker must be gone by then, on its own.
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(
      victim.stdout.some((line) => line.includes('answered 503 for redelivery')),
      victim.stdout.slice(-6).join('\n'),
    ).toBe(true);
    expect((await run).status).toBe('completed');
    expect(await checkInvariants(topology, [D])).toEqual(reference['20']);
  }, 180_000);
});
