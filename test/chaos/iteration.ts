import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ComputeEvent } from '../../shared/events/contracts.ts';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, type RunOutcome } from '../support/embedded.ts';
import { FaultInjector, type Fault } from '../support/faults.ts';
import { BODIES, scenarioProject } from '../support/scenario.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';
import { random } from '../support/random.ts';

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
  | { kind: 'kill'; afterMs: number };

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
  else plan = { kind: 'kill', afterMs: 150 + Math.floor(next() * 2500) };
  return { shape, plan };
}

export function describePlan(plan: Plan): string {
  if (plan.kind === 'faults') return plan.faults.map((f) => `${f.target}#${f.call} ${f.kind}`).join(' + ');
  if (plan.kind === 'duplicates')
    return plan.type === 'run.requested' ? 'duplicate run request' : `duplicate deliveries of ${plan.type}`;
  if (plan.kind === 'crash') return `crash-in-entity e${String(plan.entity).padStart(3, '0')}`;
  return `compute run killed after ${plan.afterMs} ms`;
}

/**
 * The scenario project for a shape; Totals and Streak a little slow, so faults land mid-fan-out.
 * With `failing`, Totals fails on that entity: by crashing its worker thread, or (the clean run's
 * reference) by throwing.
 */
function project(shape: Shape, failing?: { entity: number; how: 'crash' | 'throw' }) {
  const slow = 'await new Promise((r) => setTimeout(r, 1)); ';
  const fail =
    failing === undefined
      ? ''
      : `if (ctx.entityId === 'e${String(failing.entity).padStart(3, '0')}') ${failing.how === 'crash' ? 'process.exit(7);' : "throw new Error('failed');"} `;
  return scenarioProject({
    entities: shape.entities,
    dates: shape.dates,
    bodies: { totals: slow + fail + BODIES.totals, streak: slow + BODIES.streak },
    config: { batchSize: shape.batchSize, execution: { maxInFlightBatches: shape.window } },
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
  fault: string;
  /** Whether the fault happened (a call past the run's last one never does). */
  fired: boolean;
  problems: string[];
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
  const work = await project(shape, crash === undefined ? undefined : { entity: crash, how: 'crash' });
  let timer: NodeJS.Timeout | undefined;
  try {
    let fired = true;
    const problems = await Promise.race([
      plan.kind === 'kill'
        ? killed(work.root, shape, plan.afterMs, expected)
        : inProcess(work.root, shape, plan, expected, (didFire) => (fired = didFire)),
      new Promise<string[]>((resolve) => {
        timer = setTimeout(() => resolve([`did not finish within ${timeoutMs / 1000} s (a hang)`]), timeoutMs);
      }),
    ]);
    return { seed, fault, fired, problems, ms: Date.now() - started };
  } catch (error) {
    return {
      seed,
      fault,
      fired: true,
      problems: [`threw: ${error instanceof Error ? error.stack : String(error)}`],
      ms: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
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

async function killed(root: string, shape: Shape, afterMs: number, expected: View): Promise<string[]> {
  const dates = ['--date', shape.dates[0]!, '--to', shape.dates[shape.dates.length - 1]!];
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin/compute.js'), 'run', ...dates, '--project', root], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([exited, new Promise((r) => setTimeout(r, afterMs))]);
  child.kill('SIGKILL');
  await exited;
  const problems: string[] = [];
  const swept = await cli(['sweep', '--json', '--project', root]);
  if (swept.code !== 0) problems.push(`compute sweep exited ${swept.code}: ${swept.stderr}${swept.stdout}`);
  for (const date of shape.dates) {
    const status = json<{ computations: Array<{ name: string; status: string }> }>(
      await cli(['status', '--date', date, '--json', '--project', root]),
    );
    for (const c of status.computations)
      if (c.status === 'running') problems.push(`${date}/${c.name} left running after the sweep`);
  }
  // A run again skips what is done and redoes the rest; the stored values must be a clean run's.
  const again = await cli(['run', ...dates, '--json', '--project', root]);
  if (again.code !== 0) problems.push(`compute run again exited ${again.code}: ${again.stderr.slice(0, 500)}`);
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
