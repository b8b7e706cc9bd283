import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ComputeEvent } from '../../shared/events/contracts.ts';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, type RunOutcome } from '../support/embedded.ts';
import { FaultInjector, type Fault } from '../support/faults.ts';
import { BODIES, scenarioProject } from '../support/scenario.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';
import { random } from '../support/random.ts';
import { shiftedClock } from '../support/shifted-clock.ts';

/**
 * One chaos iteration (Temporal's omes and fuzzers are the model): a small
 * run where a seeded random fault is injected at a random point, then the
 * invariant: every computation ends as in a clean run (same statuses,
 * result hashes and entity counts, so succeeded + failed = planned), no
 * (computation, date, entity) stored twice, nothing left running once the
 * watchdog has swept. Everything follows from the seed, so a failing
 * iteration is replayed with `npm run chaos -- --seed N`.
 */

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

/** Calls a fault may hit: every port the handlers use. */
const TARGETS = [
  'blobs.put',
  'blobs.get',
  'state.ledger.planBatches',
  'state.ledger.claimNext',
  'state.ledger.claimedCount',
  'state.ledger.seal',
  'state.ledger.isSealed',
  'state.ledger.getPlan',
  'state.ledger.record',
  'state.ledger.summary',
  'state.ledger.batches',
  'state.states.put',
  'state.states.get',
  'state.leases.change',
  'state.leases.get',
  'state.leases.beat',
  'state.runs.claimStep',
  'state.runs.steps',
  'state.runs.update',
  'state.runs.get',
  'bus.publish',
] as const;

const EVENT_TYPES: Array<ComputeEvent['type']> = [
  'pass.ready',
  'batch.ready',
  'batch.completed',
  'computation.completed',
  // A duplicate run request (Cloud Scheduler delivers at least once; a publisher retry sends it again).
  'run.requested',
];

export interface Shape {
  entities: number;
  batchSize: number;
  window: number;
  dates: string[];
}

export type Plan =
  | { kind: 'faults'; faults: Fault[] }
  | { kind: 'duplicates'; type: ComputeEvent['type'] | 'every' }
  /** One entity of Totals crashes the worker thread running it (process.exit), the run using worker threads. */
  | { kind: 'crash'; entity: number }
  | { kind: 'kill'; afterMs: number }
  /**
   * `compute run` stopped (SIGSTOP) `afterMs` in for `pauseMs`, then continued (SIGCONT), under a lease TTL
   * short enough that its leases go stale while it is stopped; meanwhile a sweep and a status on the project.
   */
  | { kind: 'pause'; afterMs: number; pauseMs: number; leaseTtlSeconds: number }
  /**
   * A kill whose `compute run` runs with its wall clock shifted by `runOffsetS` seconds, the sweep that follows
   * by `sweepOffsetS` (0: the true clock); the run again at the true clock.
   */
  | { kind: 'offset'; afterMs: number; runOffsetS: number; sweepOffsetS: number };

/** A clock offset in whole seconds, ahead or behind, 1 s to 20 min (log-uniform, so seconds and minutes both come up). */
function offsetS(next: () => number): number {
  const sign = next() < 0.5 ? -1 : 1;
  return sign * Math.round(1200 ** next());
}

/** What a seed decides: the project's shape and the fault. */
export function planFor(seed: number): { shape: Shape; plan: Plan } {
  const next = random(seed);
  const shape: Shape = {
    entities: 12 + Math.floor(next() * 30),
    batchSize: pick(next, [4, 7, 10]),
    window: pick(next, [1, 2, 4]),
    dates: pick(next, [['2026-01-26'], ['2026-01-25', '2026-01-26']]),
  };
  const roll = next();
  let plan: Plan;
  if (roll < 0.62) {
    const count = next() < 0.7 ? 1 : 2;
    const faults: Fault[] = [];
    for (let i = 0; i < count; i++) {
      const kind = pick(next, ['fail', 'fail', 'fail-after', 'delay'] as const);
      faults.push({
        target: pick(next, TARGETS),
        call: 1 + Math.floor(next() * 14),
        kind,
        ms: 200 + Math.floor(next() * 1300),
      });
    }
    plan = { kind: 'faults', faults };
  } else if (roll < 0.8) plan = { kind: 'duplicates', type: pick(next, [...EVENT_TYPES, 'every'] as const) };
  else if (roll < 0.88) plan = { kind: 'crash', entity: Math.floor(next() * shape.entities) };
  // The kill range was [0.88, 1) before the pause and offset plans were carved out of it: a kill seed's plan is
  // unchanged, and the new plans draw their numbers after the roll.
  else if (roll < 0.93) plan = { kind: 'kill', afterMs: 150 + Math.floor(next() * 2500) };
  else if (roll < 0.965)
    plan = {
      kind: 'pause',
      // `compute run` starts its run about 1.8 s in and takes a second or two: most pauses land in the run.
      afterMs: 800 + Math.floor(next() * 2400),
      pauseMs: 1000 + Math.floor(next() * 3000),
      leaseTtlSeconds: pick(next, [1, 2]),
    };
  else {
    const afterMs = 150 + Math.floor(next() * 2500);
    const runOffsetS = offsetS(next);
    plan = { kind: 'offset', afterMs, runOffsetS, sweepOffsetS: next() < 1 / 3 ? 0 : offsetS(next) };
  }
  return { shape, plan };
}

export function describePlan(plan: Plan): string {
  if (plan.kind === 'faults') return plan.faults.map((f) => `${f.target}#${f.call} ${f.kind}`).join(' + ');
  if (plan.kind === 'duplicates')
    return plan.type === 'run.requested' ? 'duplicate run request' : `duplicate deliveries of ${plan.type}`;
  if (plan.kind === 'crash') return `crash-in-entity e${String(plan.entity).padStart(3, '0')}`;
  if (plan.kind === 'pause')
    return `compute run paused ${plan.pauseMs} ms after ${plan.afterMs} ms (lease TTL ${plan.leaseTtlSeconds} s)`;
  if (plan.kind === 'offset')
    return `compute run killed after ${plan.afterMs} ms, clock ${signed(plan.runOffsetS)}; ${plan.sweepOffsetS === 0 ? 'sweep at the true clock' : `sweep clock ${signed(plan.sweepOffsetS)}`}`;
  return `compute run killed after ${plan.afterMs} ms`;
}

const signed = (seconds: number) => `${seconds > 0 ? '+' : ''}${seconds} s`;

/**
 * The scenario project for a shape; Totals and Streak a little slow, so faults land mid-fan-out.
 * With `failing`, Totals fails on that entity: by crashing its worker thread, or (the clean run's
 * reference) by throwing.
 */
function project(
  shape: Shape,
  failing?: { entity: number; how: 'crash' | 'throw' },
  execution: Record<string, number> = {},
) {
  const slow = 'await new Promise((r) => setTimeout(r, 1)); ';
  const fail =
    failing === undefined
      ? ''
      : `if (ctx.entityId === 'e${String(failing.entity).padStart(3, '0')}') ${failing.how === 'crash' ? 'process.exit(7);' : "throw new Error('failed');"} `;
  return scenarioProject({
    entities: shape.entities,
    dates: shape.dates,
    bodies: { totals: slow + fail + BODIES.totals, streak: slow + BODIES.streak },
    config: { batchSize: shape.batchSize, execution: { maxInFlightBatches: shape.window, ...execution } },
  });
}

/** What must equal a clean run's: status, result hash and entity counts per computation and date. */
type View = Record<string, string>;

function viewOf(outcome: RunOutcome): View {
  return Object.fromEntries(
    outcome.summary.computations.map((c) => [
      `${c.date}/${c.name}`,
      `${c.status} ${c.resultHash} ${JSON.stringify(c.entities)}`,
    ]),
  );
}

const clean = new Map<string, Promise<View>>();

/** The clean run of a shape (with one entity that throws, for a crash plan), computed once per shape. */
function cleanView(shape: Shape, throwing?: number): Promise<View> {
  const key = JSON.stringify({ shape, throwing });
  let view = clean.get(key);
  if (view === undefined) {
    view = (async () => {
      const reference = await project(shape, throwing === undefined ? undefined : { entity: throwing, how: 'throw' });
      try {
        return viewOf(await runProject(reference.root, { dates: shape.dates }));
      } finally {
        await reference.remove();
      }
    })();
    clean.set(key, view);
  }
  return view;
}

export interface IterationResult {
  seed: number;
  kind: Plan['kind'];
  fault: string;
  /** Whether the fault happened (a call past the run's last one never does). */
  fired: boolean;
  problems: string[];
  /** What happened on the way, printed when a seed is replayed (e.g. what a sweep did while the run was stopped). */
  notes: string[];
  ms: number;
}

/** Results stored twice, per computation and date. */
async function duplicates(root: string): Promise<string[]> {
  const problems: string[] = [];
  for (const table of ['Totals', 'Doubled', 'Summary', 'Streak']) {
    const rows = await sql(root, [
      `SELECT date::VARCHAR AS date, entity_id FROM compute_results."${table}" GROUP BY ALL HAVING count(*) > 1`,
    ]).catch(() => []);
    if (rows.length > 0) problems.push(`${table} has results stored twice: ${JSON.stringify(rows.slice(0, 3))}`);
  }
  return problems;
}

function compare(expected: View, actual: View): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(expected))
    if (actual[key] !== value) problems.push(`${key}: ${actual[key] ?? 'missing'}, clean run: ${value}`);
  return problems;
}

/** Runs one iteration; `problems` is empty when the invariant held. Bounded by `timeoutMs`. */
export async function runIteration(seed: number, timeoutMs = 90_000): Promise<IterationResult> {
  const started = Date.now();
  const { shape, plan } = planFor(seed);
  const fault = describePlan(plan);
  const crash = plan.kind === 'crash' ? plan.entity : undefined;
  const expected = await cleanView(shape, crash);
  const work = await project(
    shape,
    crash === undefined ? undefined : { entity: crash, how: 'crash' },
    plan.kind === 'pause' ? { leaseTtlSeconds: plan.leaseTtlSeconds } : {},
  );
  let timer: NodeJS.Timeout | undefined;
  const children = new Set<ChildProcess>();
  try {
    let fired = true;
    const notes: string[] = [];
    const report = (didFire: boolean) => (fired = didFire);
    const problems = await Promise.race([
      plan.kind === 'kill'
        ? killed(work.root, shape, plan.afterMs, expected, children)
        : plan.kind === 'offset'
          ? killed(work.root, shape, plan.afterMs, expected, children, plan, notes)
          : plan.kind === 'pause'
            ? paused(work.root, shape, plan, expected, children, report, notes)
            : inProcess(work.root, shape, plan, expected, report),
      new Promise<string[]>((resolve) => {
        timer = setTimeout(() => resolve([`did not finish within ${timeoutMs / 1000} s (a hang)`]), timeoutMs);
      }),
    ]);
    return { seed, kind: plan.kind, fault, fired, problems, notes, ms: Date.now() - started };
  } catch (error) {
    return {
      seed,
      kind: plan.kind,
      fault,
      fired: true,
      problems: [`threw: ${error instanceof Error ? error.stack : String(error)}`],
      notes: [],
      ms: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
    // A child left over by a hang (a stopped one is continued so that the kill reaches it).
    for (const child of children) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await Promise.all([...children].map((child) => exitOf(child)));
    await work.remove();
  }
}

async function inProcess(
  root: string,
  shape: Shape,
  plan: Plan,
  expected: View,
  report: (fired: boolean) => void,
): Promise<string[]> {
  const faults = plan.kind === 'faults' ? new FaultInjector(plan.faults) : new FaultInjector([]);
  const bus =
    plan.kind === 'duplicates'
      ? plan.type === 'every'
        ? { deliveries: 2 }
        : { redeliverAfterSuccess: (event: ComputeEvent) => event.type === plan.type }
      : {};
  // A crash plan runs batches in a worker thread (as `compute run` and `compute serve` do): the crash takes it down.
  const outcome = await runProject(root, {
    dates: shape.dates,
    faults,
    bus,
    ...(plan.kind === 'crash' ? { threads: true, env: { COMPUTE_BUS: '{"type":"inprocess","workerThreads":1}' } } : {}),
  });
  if (plan.kind === 'faults') report(faults.fired.length > 0);
  const problems = compare(expected, viewOf(outcome));
  for (const [key, state] of outcome.states) if (state.status === 'running') problems.push(`${key} left running`);
  return [...problems, ...(await duplicates(root))];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once the child has exited (at once when it already has). */
function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `bin/compute.js ARGS` as a child process (its wall clock shifted by `offsetS` seconds when given), kept in `children`. */
function spawnCompute(args: string[], children: Set<ChildProcess>, offsetS = 0): ChildProcess {
  const clock = shiftedClock(offsetS * 1000);
  const child = spawn(process.execPath, [...clock.execArgv, join(PACKAGE_ROOT, 'bin/compute.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...clock.env },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a compute child printed and how it exited. */
async function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await exitOf(child);
  return { code: child.exitCode, stdout, stderr };
}

const short = (text: string) => text.trim().replace(/\s+/g, ' ').slice(0, 400);

/** Computations still `running` on the shape's dates (per `compute status`, in this process). */
async function running(root: string, shape: Shape): Promise<string[]> {
  const left: string[] = [];
  for (const date of shape.dates) {
    const status = json<{ computations: Array<{ name: string; status: string }> }>(
      await cli(['status', '--date', date, '--json', '--project', root]),
    );
    for (const c of status.computations) if (c.status === 'running') left.push(`${date}/${c.name}`);
  }
  return left;
}

/** The view `compute status` gives: as viewOf's, the counts of what ran in the last run. */
async function statusView(root: string, shape: Shape): Promise<View> {
  const view: View = {};
  for (const date of shape.dates) {
    const status = json<{
      computations: Array<{ name: string; status: string; resultHash: string | null; counts: unknown }>;
    }>(await cli(['status', '--date', date, '--json', '--project', root]));
    for (const c of status.computations) {
      const ran = ['completed', 'partial', 'failed'].includes(c.status);
      view[`${date}/${c.name}`] = `${c.status} ${c.resultHash} ${JSON.stringify(ran ? c.counts : null)}`;
    }
  }
  return view;
}

/** Whether a command refused clearly because another process holds the project's files (PROJECT_BUSY). */
const refused = (result: Finished) => /PROJECT_BUSY/.test(result.stderr + result.stdout);

/** `compute status --json`'s running computations, with its stale flag. */
function stalled(stdout: string): string {
  const { computations } = JSON.parse(stdout) as {
    computations: Array<{ name: string; status: string; stale: boolean }>;
  };
  const held = computations.filter((c) => c.status === 'running');
  return held.length === 0
    ? 'nothing running'
    : `running: ${held.map((c) => `${c.name}${c.stale ? ' (stale)' : ''}`).join(', ')}`;
}

/** What a `compute run --json` did not finish (`2026-01-26/Totals blocked (held by run ...)`), else its output. */
function unfinished(result: { stdout: string; stderr: string }): string {
  try {
    const { computations } = JSON.parse(result.stdout) as {
      computations: Array<{ name: string; date: string; status: string; detail: string | null }>;
    };
    return computations
      .filter((c) => c.status !== 'completed' && c.status !== 'skipped')
      .map((c) => `${c.date}/${c.name} ${c.status}${c.detail === null ? '' : ` (${c.detail})`}`)
      .join(', ');
  } catch {
    return short(result.stderr + result.stdout);
  }
}

/**
 * The paused executor: `compute run` stopped with SIGSTOP for `pauseMs` (its leases go stale under the short
 * TTL), while a second process looks at the project: `compute status` must answer, `compute sweep` must either
 * refuse clearly (the stopped process holds the DuckDB file) or finish. Continued, the run must finish by itself
 * with a clean run's statuses, hashes and counts, nothing stored twice and nothing left running.
 */
async function paused(
  root: string,
  shape: Shape,
  plan: Extract<Plan, { kind: 'pause' }>,
  expected: View,
  children: Set<ChildProcess>,
  report: (fired: boolean) => void,
  notes: string[],
): Promise<string[]> {
  const dates = ['--date', shape.dates[0]!, '--to', shape.dates[shape.dates.length - 1]!];
  const problems: string[] = [];
  const child = spawnCompute(['run', ...dates, '--project', root], children);
  const run = finished(child);
  const early = await Promise.race([run.then(() => true), sleep(plan.afterMs).then(() => false)]);
  report(!early);
  if (!early) {
    child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const status = finished(spawnCompute(['status', '--date', shape.dates[0]!, '--json', '--project', root], children));
    const sweep = finished(spawnCompute(['sweep', '--json', '--project', root], children));
    let statusDone = false;
    let sweepDone = false;
    void status.then(() => (statusDone = true));
    void sweep.then(() => (sweepDone = true));
    await sleep(Math.max(0, plan.pauseMs - (Date.now() - stoppedAt)));
    // Both should have answered while it was stopped; give them a little more before calling it a hang.
    const waitUntil = Date.now() + 15_000;
    while ((!statusDone || !sweepDone) && Date.now() < waitUntil) await sleep(50);
    if (!statusDone)
      problems.push(`compute status did not answer while compute run was stopped (${plan.pauseMs} ms + 15 s)`);
    if (!sweepDone)
      problems.push(`compute sweep did not finish while compute run was stopped (${plan.pauseMs} ms + 15 s)`);
    child.kill('SIGCONT');
    const [statused, swept] = await Promise.all([status, sweep]);
    notes.push(
      `while stopped: compute status exited ${statused.code}${statused.code === 0 ? `, ${stalled(statused.stdout)}` : ''}`,
    );
    notes.push(
      `while stopped: compute sweep exited ${swept.code} (${sweepDone ? 'before' : 'after'} SIGCONT): ${short(swept.code === 0 ? swept.stdout : swept.stderr + swept.stdout)}`,
    );
    // A clear refusal (the stopped process holds the warehouse file, or the state file locked) is fine; any other
    // failure is not.
    if (statused.code !== 0 && !refused(statused))
      problems.push(`compute status (run stopped) exited ${statused.code}: ${short(statused.stderr)}`);
    if (swept.code !== 0 && !refused(swept))
      problems.push(`compute sweep (run stopped) exited ${swept.code}: ${short(swept.stderr + swept.stdout)}`);
  }
  const ran = await run;
  notes.push(`compute run exited ${ran.code}${ran.stderr.trim() === '' ? '' : `: ${short(ran.stderr)}`}`);
  if (ran.code !== 0) problems.push(`compute run (paused and continued) exited ${ran.code}: ${short(ran.stderr)}`);
  const left = await running(root, shape);
  if (left.length > 0) {
    problems.push(`left running by compute run after the pause: ${left.join(', ')}`);
    const swept = await cli(['sweep', '--json', '--project', root]);
    if (swept.code !== 0) problems.push(`compute sweep exited ${swept.code}: ${short(swept.stderr + swept.stdout)}`);
    const still = await running(root, shape);
    if (still.length > 0) problems.push(`left running after the sweep: ${still.join(', ')}`);
  }
  problems.push(...compare(expected, await statusView(root, shape)));
  return [...problems, ...(await duplicates(root))];
}

/**
 * A `compute run` child killed (SIGKILL) `afterMs` in, then `compute sweep` and `compute run` again. With an
 * offset plan the killed run's wall clock is shifted by `runOffsetS` and the sweep's by `sweepOffsetS` (the sweep
 * is then a child too); the run again is at the true clock.
 */
async function killed(
  root: string,
  shape: Shape,
  afterMs: number,
  expected: View,
  children: Set<ChildProcess>,
  offsets?: { runOffsetS: number; sweepOffsetS: number },
  notes: string[] = [],
): Promise<string[]> {
  const dates = ['--date', shape.dates[0]!, '--to', shape.dates[shape.dates.length - 1]!];
  const child = spawnCompute(['run', ...dates, '--project', root], children, offsets?.runOffsetS);
  child.stdout?.resume();
  child.stderr?.resume();
  await Promise.race([exitOf(child), sleep(afterMs)]);
  child.kill('SIGKILL');
  await exitOf(child);
  const problems: string[] = [];
  const swept =
    offsets === undefined
      ? await cli(['sweep', '--json', '--project', root])
      : await finished(spawnCompute(['sweep', '--json', '--project', root], children, offsets.sweepOffsetS));
  notes.push(`compute sweep exited ${swept.code}: ${short(swept.stdout)}`);
  if (swept.code !== 0) problems.push(`compute sweep exited ${swept.code}: ${swept.stderr}${swept.stdout}`);
  for (const left of await running(root, shape)) problems.push(`${left} left running after the sweep`);
  // A run again skips what is done and redoes the rest; the stored values must be a clean run's.
  const again = await cli(['run', ...dates, '--json', '--project', root]);
  if (again.code !== 0) problems.push(`compute run again exited ${again.code}: ${unfinished(again)}`);
  for (const date of shape.dates) {
    const status = json<{ computations: Array<{ name: string; status: string; resultHash: string | null }> }>(
      await cli(['status', '--date', date, '--json', '--project', root]),
    );
    for (const c of status.computations) {
      const want = expected[`${date}/${c.name}`]?.split(' ');
      if (want === undefined) continue;
      // A run again skips what the killed run finished: skipped keeps the completed result.
      const status = c.status === 'skipped' && want[0] === 'completed' ? 'completed' : c.status;
      if (status !== want[0] || c.resultHash !== want[1])
        problems.push(`${date}/${c.name}: ${c.status} ${c.resultHash}, clean run: ${want[0]} ${want[1]}`);
    }
  }
  return [...problems, ...(await duplicates(root))];
}
