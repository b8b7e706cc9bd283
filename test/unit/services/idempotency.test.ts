import { afterEach, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../../cli/runtime.ts';
import type { ComputeEvent } from '../../../shared/events/contracts.ts';
import { silentLogger } from '../../../shared/logging/logger.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { ledgerKey } from '../../../shared/batches/batch-files.ts';
import { StaleLeaseError } from '../../../shared/ports/state-store.ts';
import { RetryLaterError } from '../../../shared/errors.ts';
import { acquireLease, releaseLease } from '../../../shared/state/leases.ts';
import { finalizeBatches } from '../../../executor/finalize.ts';
import { ManualBus } from '../../support/manual-bus.ts';
import { scenarioProject } from '../../support/scenario.ts';
import type { TempProject } from '../../support/temp-project.ts';

/**
 * Planner and executor handlers driven by hand over an in-memory bus and
 * the embedded adapters: one test per idempotency rule (DESIGN.md 3 and 6).
 */
const D = '2026-01-26';
const RUN = 'run-unit';
const of =
  (type: ComputeEvent['type'], computation?: string) =>
  (event: ComputeEvent): boolean =>
    event.type === type && (computation === undefined || ('computation' in event && event.computation === computation));

let project: TempProject | undefined;
let runtime: (Runtime & { close(): Promise<void> }) | undefined;
afterEach(async () => {
  await runtime?.close();
  await project?.remove();
  runtime = undefined;
  project = undefined;
});

async function open(options: { window?: number; clock?: ManualClock; leaseTtlSeconds?: number } = {}) {
  project = await scenarioProject({
    entities: 25,
    dates: [D],
    config: {
      batchSize: 10,
      execution: {
        maxInFlightBatches: options.window ?? 16,
        ...(options.leaseTtlSeconds === undefined ? {} : { leaseTtlSeconds: options.leaseTtlSeconds }),
      },
    },
  });
  const manifest = await requireManifest(await loadProjectConfig(project.root, {}));
  const bus = new ManualBus();
  runtime = await openRuntime(manifest, {
    log: silentLogger(),
    bus,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const request: ComputeEvent = {
    v: 1,
    type: 'run.requested',
    runId: RUN,
    dates: [D],
    computations: null,
    force: false,
    trigger: 'test',
  };
  return { bus, runtime, request, state: runtime.ports.state };
}

describe('planner', () => {
  it('records a run once and opens its first pass once, however often the request is delivered', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    await bus.deliver(request);
    expect((await state.runs.list(10)).map((r) => r.runId)).toEqual([RUN]);
    expect(bus.take(of('pass.ready'))).toEqual([{ v: 1, type: 'pass.ready', runId: RUN, date: D, pass: 0 }]);
  });

  it('closes a pass once and opens the next once when completions are delivered twice', async () => {
    const { bus, request } = await open();
    await bus.deliver(request);
    await bus.drain(of('pass.ready'));
    await bus.drain((e) => e.type !== 'computation.completed' && e.type !== 'pass.ready');
    const completions = bus.take(of('computation.completed'));
    expect(completions.map((e) => 'computation' in e && e.computation).sort()).toEqual(['Streak', 'Totals']);
    for (const event of [...completions, ...completions]) await bus.deliver(event);
    expect(bus.take(of('pass.ready'))).toEqual([{ v: 1, type: 'pass.ready', runId: RUN, date: D, pass: 1 }]);
  });

  it('republishes a lost pass.ready, and does nothing once the run is healthy', async () => {
    const { bus, request, runtime: rt } = await open();
    await bus.deliver(request);
    // The pass.ready is lost (never delivered): the run would wait forever.
    expect(bus.take(of('pass.ready'))).toHaveLength(1);
    const report = await rt.planner.sweep();
    expect(report.actions).toEqual([
      {
        runId: RUN,
        date: D,
        pass: 0,
        action: 'republished pass.ready',
        computations: { Totals: 'not decided in this run', Streak: 'not decided in this run' },
      },
    ]);
    await bus.drain();
    expect((await rt.ports.state.runs.get(RUN))!.status).toBe('completed');
    expect((await rt.planner.sweep()).actions).toEqual([]);
  });

  it('announces again a completion the planner never got, so the pass closes', async () => {
    const { bus, request, runtime: rt } = await open();
    await bus.deliver(request);
    await bus.drain((e) => e.type !== 'computation.completed');
    // Both completions of pass 0 are lost.
    expect(bus.take(of('computation.completed'))).toHaveLength(2);
    const report = await rt.planner.sweep();
    expect(report.actions.map((a) => a.action)).toEqual(['announced again']);
    expect(bus.take(of('pass.ready'))).toEqual([{ v: 1, type: 'pass.ready', runId: RUN, date: D, pass: 1 }]);
  });
});

describe('executor', () => {
  it('runs a computation once when its pass.ready is delivered twice: one attempt, each batch published once', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    const [pass] = bus.take(of('pass.ready'));
    await bus.deliver(pass!);
    await bus.deliver(pass!);
    const batches = bus.queue.filter(of('batch.ready', 'Totals'));
    expect(batches.map((e) => 'batchId' in e && e.batchId)).toEqual(['b000000', 'b000001', 'b000002']);
    expect(await state.runs.steps(RUN, `attempt/${D}/Totals/`)).toHaveLength(1);
  });

  it('counts a completion delivered twice once and finalizes once', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    await bus.drain((e) => e.type === 'pass.ready' || e.type === 'batch.ready');
    const completions = bus.take(of('batch.completed', 'Totals'));
    expect(completions).toHaveLength(3);
    for (const event of [...completions, ...completions]) await bus.deliver(event);
    const attempt = (completions[0] as { attempt: number }).attempt;
    expect(await state.ledger.summary(ledgerKey(RUN, 'Totals', D, attempt))).toMatchObject({ completed: 3 });
    expect(await state.runs.steps(RUN, `finalize/${D}/Totals/`)).toHaveLength(1);
    expect(bus.queue.filter(of('computation.completed', 'Totals'))).toHaveLength(1);
    expect((await state.states.get(D, 'Totals'))!.counts).toEqual({
      planned: 25,
      succeeded: 25,
      failed: 0,
      stored: 25,
    });
  });

  it('finalizes once when the last completions are handled side by side', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    await bus.drain((e) => e.type === 'pass.ready' || e.type === 'batch.ready');
    const completions = bus.take(of('batch.completed', 'Totals'));
    await Promise.all([...completions, ...completions].map((event) => bus.deliver(event)));
    expect(await state.runs.steps(RUN, `finalize/${D}/Totals/`)).toHaveLength(1);
    expect((await state.states.get(D, 'Totals'))!.status).toBe('completed');
  });

  it('says a finished computation is finished again when its pass.ready comes back, changing nothing', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    const [pass] = bus.take(of('pass.ready'));
    await bus.deliver(pass!);
    await bus.drain((e) => e.type === 'batch.ready' || e.type === 'batch.completed');
    const before = await state.states.get(D, 'Totals');
    bus.take(of('computation.completed'));
    await bus.deliver(pass!);
    expect(await state.states.get(D, 'Totals')).toEqual(before);
    expect(bus.take(of('computation.completed')).map((e) => 'status' in e && e.status)).toEqual([
      'completed',
      'completed',
    ]);
    expect(bus.queue.filter(of('batch.ready'))).toEqual([]);
  });

  it('ignores completions of an attempt its lease no longer drives', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    await bus.drain((e) => e.type === 'pass.ready' || e.type === 'batch.ready');
    const completions = bus.take(of('batch.completed', 'Totals'));
    const stale = completions.map((e) => ({ ...e, attempt: 99 }) as ComputeEvent);
    for (const event of stale) await bus.deliver(event);
    expect(await state.runs.steps(RUN, `finalize/${D}/Totals/`)).toEqual([]);
    expect((await state.states.get(D, 'Totals'))!.status).toBe('running');
  });

  it('leaves a computation held by a live lease alone, and takes over one whose lease went stale', async () => {
    // Staleness is judged on the store's clock (SQLite's), which a test clock cannot move: a 2 s TTL, waited for.
    const { bus, request, state } = await open({ leaseTtlSeconds: 2 });
    await bus.deliver(request);
    const [pass] = bus.take(of('pass.ready'));
    await bus.deliver(pass!);
    // Its batches are lost; the pass comes back while the lease is fresh: nothing happens.
    bus.take(of('batch.ready'));
    await bus.deliver(pass!);
    expect(bus.queue.filter(of('batch.ready'))).toEqual([]);
    // Two seconds without a heartbeat: the holder is presumed gone. The sealed plan is adopted, its batches sent again.
    await new Promise((r) => setTimeout(r, 2100));
    await bus.deliver(pass!);
    expect(bus.queue.filter(of('batch.ready', 'Totals'))).toHaveLength(3);
    expect((await state.leases.get({ computation: 'Totals', date: D }))!).toMatchObject({ token: 2, attempt: 1 });
    await bus.drain();
    expect((await state.runs.get(RUN))!.status).toBe('completed');
  });

  it('finds a computation running past its computation timeout, and fails it naming the setting', async () => {
    const clock = new ManualClock(new Date());
    const { bus, request, state, runtime: rt } = await open({ clock });
    await bus.deliver(request);
    const [pass] = bus.take(of('pass.ready'));
    await bus.deliver(pass!);
    // Its batches are lost; an hour and more later (3600 s by default) the watchdog finds it.
    bus.take(of('batch.ready'));
    clock.advance(3_600_000 + 1);
    const report = await rt.planner.sweep();
    expect(report.actions).toMatchObject([{ action: 'republished pass.ready', computations: { Totals: 'timed out' } }]);
    await bus.deliver(bus.take(of('pass.ready'))[0]!);
    expect(await state.states.get(D, 'Totals')).toMatchObject({
      status: 'failed',
      error: 'timed out after 3600 s (computationTimeoutSeconds)',
    });
  });

  it("reads a computation's own state once to decide and record a no-op re-run", async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    await bus.drain();
    await bus.deliver({ ...request, runId: 'run-again' });
    const [pass] = bus.take(of('pass.ready'));
    const get = state.states.get.bind(state.states);
    const reads: string[] = [];
    state.states.get = async (date, computation) => {
      reads.push(`${date}/${computation}`);
      return get(date, computation);
    };
    await bus.deliver(pass!);
    expect(bus.take(of('computation.completed')).map((e) => 'status' in e && e.status)).toEqual(['skipped', 'skipped']);
    expect(reads.filter((read) => read === `${D}/Totals`)).toEqual([`${D}/Totals`]);
  });

  it("a second run of the same date started meanwhile reports the first run's states, never overwrites them", async () => {
    const { bus, request, state } = await open();
    // Both requested before either runs (a request published twice with new ids, two people asking at once).
    await bus.deliver(request);
    await bus.deliver({ ...request, runId: 'run-twin' });
    const [first, twin] = bus.take(of('pass.ready'));
    await bus.deliver(first!);
    await bus.drain((e) => e.type !== 'pass.ready' || e.runId === RUN);
    expect((await state.states.list(D)).map((st) => `${st.computation}=${st.status}/${st.runId}`)).toContain(
      `Totals=completed/${RUN}`,
    );
    await bus.deliver(twin!);
    expect(bus.take(of('computation.completed')).map((e) => 'status' in e && e.status)).toEqual([
      'completed',
      'completed',
    ]);
    // What ran is still said by the run that ran it.
    for (const name of ['Totals', 'Streak'])
      expect(await state.states.get(D, name)).toMatchObject({ status: 'completed', runId: RUN });
  });

  it('a finalizer stopped by SIGTERM (step claimed, lease released) is finished by the next completion, not the sweep', async () => {
    const { bus, request, state } = await open();
    await bus.deliver(request);
    await bus.drain((e) => e.type === 'pass.ready' || e.type === 'batch.ready');
    const held = (await state.leases.get({ computation: 'Totals', date: D }))!;
    // What a stopped executor leaves: its finalize step claimed, and (on SIGTERM) its lease released.
    await state.runs.claimStep(RUN, `finalize/${D}/Totals/${held.attempt}/${held.token}`);
    await releaseLease(state.leases, held);
    // Its batch.completed come back (a redelivery of the one handed back, or any later one).
    await bus.drain((e) => e.type === 'batch.completed' && e.computation === 'Totals');
    expect(await state.states.get(D, 'Totals')).toMatchObject({ status: 'completed', runId: RUN });
    const lease = (await state.leases.get({ computation: 'Totals', date: D }))!;
    expect(lease.token).toBeGreaterThan(held.token);
    expect(lease.attempt).toBe(held.attempt);
  });

  it('a finalizer that went quiet (step claimed, lease silent, not released): its completion comes back until the lease is stale, then takes it over and finalizes', async () => {
    // Lease TTL 1 s: heartbeats every 200 ms, so 400 ms of silence is two missed heartbeats.
    const { bus, request, state } = await open({ leaseTtlSeconds: 1 });
    await bus.deliver(request);
    await bus.drain((e) => e.type === 'pass.ready' || e.type === 'batch.ready');
    const held = (await state.leases.get({ computation: 'Totals', date: D }))!;
    // What a paused (SIGSTOP) or vanished finalizer leaves: its finalize step claimed, its lease held and silent.
    await state.runs.claimStep(RUN, `finalize/${D}/Totals/${held.attempt}/${held.token}`);
    const [completion, ...others] = bus.take((e) => e.type === 'batch.completed' && e.computation === 'Totals');
    await new Promise((r) => setTimeout(r, 550));
    // Not stale yet: answered "retry later" (503), not acknowledged as if the finalizer would finish.
    await expect(bus.deliver(completion!)).rejects.toBeInstanceOf(RetryLaterError);
    expect((await state.leases.get({ computation: 'Totals', date: D }))!.token).toBe(held.token);
    await new Promise((r) => setTimeout(r, 600));
    // Stale now: the redelivery takes the lease for the same attempt and finalizes, no sweep.
    await bus.deliver(completion!);
    expect(await state.states.get(D, 'Totals')).toMatchObject({ status: 'completed', runId: RUN });
    const lease = (await state.leases.get({ computation: 'Totals', date: D }))!;
    expect(lease.token).toBeGreaterThan(held.token);
    expect(lease.attempt).toBe(held.attempt);
    // The other completions of that attempt find it done.
    for (const event of others) await bus.deliver(event);
    expect(await state.states.get(D, 'Totals')).toMatchObject({ status: 'completed', runId: RUN });
  });

  it('a finalizer whose lease was taken over writes no results (zombie writes are fenced, results included)', async () => {
    const { bus, request, state, runtime: rt } = await open();
    await bus.deliver(request);
    await bus.drain((e) => e.type === 'pass.ready' || e.type === 'batch.ready');
    const held = (await state.leases.get({ computation: 'Totals', date: D }))!;
    const plan = (await state.ledger.getPlan(ledgerKey(RUN, 'Totals', D, held.attempt)))!;
    await acquireLease(state.leases, { computation: 'Totals', date: D }, 'new-holder', new Date(), () => true);
    const entry = rt.ports.manifest.byName.get('Totals')!;
    await expect(finalizeBatches(rt.ports, entry, plan, held)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await rt.ports.results.read('Totals', D)).toEqual([]);
  });
});
