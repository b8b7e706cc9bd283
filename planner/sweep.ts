import { runDates } from '../shared/state/run-dates.ts';
import type { ComputationCompleted } from '../shared/events/contracts.ts';
import type { IsoDate } from '../shared/model/types.ts';
import {
  FINAL_STATUSES,
  type ComputationState,
  type FinalStatus,
  type RunRecord,
} from '../shared/ports/state-store.ts';
import { pastComputationTimeout, type ServicePorts } from '../shared/runtime/service-ports.ts';
import { holderGone } from '../shared/state/leases.ts';
import { claimedSteps, stepKey } from '../shared/state/steps.ts';
import { selectedNames } from '../shared/reports/summary.ts';

export interface SweepOptions {
  /** Only this run (the embedded run loop sweeps its own run). */
  runId?: string;
  /** An owner id known to be idle: its leases are taken over however fresh (see pass.ready's `reclaim`). */
  reclaim?: string;
}

/** What the watchdog found and did, per run. */
export interface SweepReport {
  /** Running runs looked at. */
  looked: number;
  actions: Array<{
    runId: string;
    date?: IsoDate;
    pass?: number;
    /** 'republished pass.ready' | 'announced again' | 'closed the date' | 'finished the run' | 'started DATES'. */
    action: string;
    /** What was found stuck, by computation: why it needs driving on. */
    computations?: Record<string, string>;
  }>;
}

/** The planner's parts the sweep drives. */
export interface PlannerSteps {
  passesOf(run: RunRecord): number[];
  onComputationCompleted(event: ComputationCompleted): Promise<void>;
  afterPassClosed(run: RunRecord, date: IsoDate, pass: number): Promise<void>;
  startDates(run: RunRecord): Promise<IsoDate[]>;
  finishRun(run: RunRecord): Promise<void>;
}

/** Running runs looked at per sweep (newest first). */
const RUNS_PER_SWEEP = 100;

function isFinal(state: ComputationState | null, runId: string): state is ComputationState {
  return state !== null && state.runId === runId && (FINAL_STATUSES as readonly string[]).includes(state.status);
}

/**
 * The watchdog. For each running run, per started date, it looks at the
 * first pass not yet closed:
 * - a computation that finished in this run while the planner never
 *   counted it (a lost computation.completed) is announced again;
 * - a computation not decided in this run (a lost pass.ready), or running
 *   under a lease whose holder is gone (no heartbeat within the staleness,
 *   a dead process on this host, the idle owner named by `reclaim`), or
 *   planned with other code, or past its timeout, gets its pass.ready
 *   published again: the executor takes the lease over and re-plans or
 *   republishes what is missing.
 * Dates and runs whose every pass closed are closed. Everything it does is
 * idempotent, so a sweep may run at any time, as often as wanted.
 */
export async function sweepRuns(
  ports: Pick<ServicePorts, 'manifest' | 'state' | 'bus' | 'clock' | 'log' | 'settings'>,
  planner: PlannerSteps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  const { state, manifest, clock, settings } = ports;
  const runs =
    options.runId === undefined
      ? (await state.runs.list(RUNS_PER_SWEEP)).filter((run) => run.status === 'running')
      : [await state.runs.get(options.runId)].filter((run): run is RunRecord => run?.status === 'running');
  const report: SweepReport = { looked: runs.length, actions: [] };
  const now = clock.now();

  async function whyStuck(run: RunRecord, name: string, current: ComputationState | null): Promise<string | null> {
    if (current === null || current.runId !== run.runId || current.status !== 'running')
      return 'not decided in this run';
    const entry = manifest.byName.get(name)!;
    if (current.codeHash !== entry.codeHash) return 'planned with other code';
    if (pastComputationTimeout(settings, entry.config, current.startedAt, now)) return 'timed out';
    const lease = await state.leases.get({ computation: name, date: current.date });
    if (lease === null) return 'no lease';
    const gone = holderGone(lease, settings.leaseStaleMs, now);
    if (gone !== null) return gone;
    if (options.reclaim !== undefined && lease.owner === options.reclaim) return 'its holder is idle';
    return null;
  }

  for (const run of runs) {
    const passes = planner.passesOf(run);
    const [started, closed, doneDates] = await Promise.all([
      claimedSteps(state.runs, run.runId, 'date-start'),
      claimedSteps(state.runs, run.runId, 'closed'),
      claimedSteps(state.runs, run.runId, 'date-done'),
    ]);
    if (passes.length === 0 || doneDates.length === runDates(run).length) {
      await planner.finishRun(run);
      report.actions.push({ runId: run.runId, action: 'finished the run' });
      continue;
    }
    const closedSet = new Set(closed.map(stepKey));
    const doneSet = new Set(doneDates.map((step) => step.date));
    for (const { date } of started) {
      if (doneSet.has(date)) continue;
      const pass = passes.find((p) => !closedSet.has(stepKey({ kind: 'closed', date, pass: p })));
      if (pass === undefined) {
        // Every pass closed but the date was not: the planner stopped in between.
        await planner.afterPassClosed(run, date, passes[passes.length - 1]!);
        report.actions.push({ runId: run.runId, date, action: 'closed the date' });
        continue;
      }
      const names = selectedNames(manifest, run).filter((name) => manifest.byName.get(name)!.pass === pass);
      const states = await Promise.all(names.map((name) => state.states.get(date, name)));
      // What the planner already counted is not stuck, stored state or not (on a repair date a computation
      // with nothing to repair writes none).
      const counted = new Set(
        (await claimedSteps(state.runs, run.runId, 'done', { date })).map((step) => step.computation),
      );
      const stuck: Record<string, string> = {};
      const finals: Array<{ computation: string; status: ComputationCompleted['status'] }> = [];
      for (const [index, name] of names.entries()) {
        const current = states[index] ?? null;
        if (isFinal(current, run.runId)) finals.push({ computation: name, status: current.status as FinalStatus });
        else if (counted.has(name)) finals.push({ computation: name, status: 'skipped' });
        else {
          const why = await whyStuck(run, name, current);
          if (why !== null) stuck[name] = why;
        }
      }
      if (Object.keys(stuck).length > 0) {
        await ports.bus.publish({
          v: 1,
          type: 'pass.ready',
          runId: run.runId,
          date,
          pass,
          ...(options.reclaim === undefined ? {} : { reclaim: options.reclaim }),
        });
        report.actions.push({ runId: run.runId, date, pass, action: 'republished pass.ready', computations: stuck });
      }
      if (finals.length === names.length) {
        // Every computation of the pass finished, yet the pass is open: a completion was lost on the way.
        for (const final of finals)
          await planner.onComputationCompleted({
            v: 1,
            type: 'computation.completed',
            runId: run.runId,
            date,
            computation: final.computation,
            pass,
            status: final.status,
          });
        report.actions.push({ runId: run.runId, date, pass, action: 'announced again' });
      }
    }
    // Dates whose turn came while the planner was stopped (it claimed a date done, then died).
    const begun = await planner.startDates(run);
    if (begun.length > 0) report.actions.push({ runId: run.runId, action: `started ${begun.join(', ')}` });
  }
  if (report.actions.length > 0) ports.log.warn({ sweep: report }, `Watchdog: ${describeSweep(report)}`);
  return report;
}

/** One action of a sweep in words: run, date and pass, what was done, and why per computation. */
export function describeSweepAction(a: SweepReport['actions'][number]): string {
  const where = `${a.runId}${a.date === undefined ? '' : ` ${a.date}`}${a.pass === undefined ? '' : ` pass ${a.pass}`}`;
  const why =
    a.computations === undefined
      ? ''
      : ` (${Object.entries(a.computations)
          .map(([name, reason]) => `${name}: ${reason}`)
          .join(', ')})`;
  return `${where}: ${a.action}${why}`;
}

/** One line for logs and the CLI. */
export function describeSweep(report: SweepReport): string {
  if (report.actions.length === 0) return `${report.looked} running run(s), nothing stuck`;
  return `${report.looked} running run(s); ${report.actions.map(describeSweepAction).join('; ')}`;
}
