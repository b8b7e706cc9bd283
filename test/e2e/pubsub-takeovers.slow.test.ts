import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerKey } from '../../shared/batches/batch-files.ts';
import { acquireLease } from '../../shared/state/leases.ts';
import { cleanRunHashes } from '../support/clean-run.ts';
import { emulatorMissing } from '../support/emulators.ts';
import { BODIES, computationFile, CONFIGS, slow } from '../support/scenario.ts';
import { topologyPerTest } from '../support/topology-hooks.ts';
import { checkInvariants, runManually, serve, startSweeping, stop, type Topology } from '../support/topology.ts';

const D = '2026-01-26';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
/** Totals as a new deploy computes it. */
const NEW_TOTALS = 'return { total: ctx.data.events.reduce((sum, row) => sum + row.value, 0) + 1000 };';

/**
 * The longer faults on the emulator topology: skewed code, stale leases
 * taken over, a deploy mid-run, SIGTERM mid-batch. Minutes, not seconds, so
 * `npm run test:slow` runs them (CI does, after `npm test`). Each ends with DESIGN.md section 6's
 * invariant: everything completed, succeeded + failed = planned, no result
 * stored twice, and the same result hashes as a clean embedded run.
 */
describe.skipIf(missing !== null)('distributed run under faults, takeovers and deploys (emulators)', () => {
  const topologies = topologyPerTest();
  let reference: Record<string, Record<string, string | null>> = {};
  let topology: Topology | undefined;

  beforeAll(async () => {
    reference = await cleanRunHashes(
      {
        '25': { entities: 25 },
        '20': { entities: 20 },
        '1000': { entities: 1000 },
        '120-new-code': { entities: 120, bodies: { totals: NEW_TOTALS } },
      },
      D,
    );
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
