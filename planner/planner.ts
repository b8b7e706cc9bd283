import { PoisonMessageError } from '../shared/errors.ts';
import type { ComputationCompleted, RunRequested, SweepRequested } from '../shared/events/contracts.ts';
import type { IsoDate } from '../shared/model/types.ts';
import type { RunRecord } from '../shared/ports/state-store.ts';
import type { ServicePorts } from '../shared/runtime/service-ports.ts';
import { scheduledSelection } from '../shared/schedule/due.ts';
import { nearestName } from '../shared/util/nearest.ts';
import { runDates } from '../shared/state/run-dates.ts';
import { repairWindow, scanRepairWindow, type RepairItem } from '../shared/plan/repair.ts';
import { RunVersionScopes } from '../shared/plan/input-versions.ts';
import { quoted } from '../shared/util/safe-text.ts';
import { checkCompletion, runOf } from '../shared/state/event-checks.ts';
import { claimedSteps, claimStep } from '../shared/state/steps.ts';
import { executionSummary, formatSummary, selectedNames } from '../shared/reports/summary.ts';
import { describeSweep, sweepRuns, type SweepOptions, type SweepReport } from './sweep.ts';

export interface Planner {
  onRunRequested: (event: RunRequested) => Promise<void>;
  onComputationCompleted: (event: ComputationCompleted) => Promise<void>;
  /** The watchdog, as a handler of the runs topic's sweep message. */
  onSweepRequested: (event: SweepRequested) => Promise<void>;
  /** The watchdog: finds running runs whose work has stalled and drives them on; says what it found and did. */
  sweep: (options?: SweepOptions) => Promise<SweepReport>;
}

export type PlannerPorts = Pick<ServicePorts, 'manifest' | 'state' | 'bus' | 'clock' | 'log' | 'settings'> &
  Partial<Pick<ServicePorts, 'reader' | 'versionScopes'>>;

/** Dates run one after another when a historical computation needs yesterday; otherwise up to this many at once. */
const PARALLEL_DATES = 4;

/**
 * The planner: turns a run request into passes per date, and closes each
 * pass barrier as computations complete. Every step that must happen once
 * is a claimed step of the run, so redelivered events change nothing.
 */
export function createPlanner(ports: PlannerPorts): Planner {
  const { manifest, state, bus, clock } = ports;

  /** Pass numbers holding at least one of the run's computations, in order. */
  function passesOf(run: RunRecord): number[] {
    const names = new Set(selectedNames(manifest, run));
    return [...new Set(manifest.computations.filter((e) => names.has(e.name)).map((e) => e.pass))].sort(
      (a, b) => a - b,
    );
  }

  function sequential(run: RunRecord): boolean {
    return selectedNames(manifest, run).some((name) => manifest.byName.get(name)!.config.isHistorical);
  }

  async function publishPass(run: RunRecord, date: IsoDate, pass: number): Promise<void> {
    if (!(await claimStep(state.runs, run.runId, { kind: 'pass', date, pass }))) return;
    const passes = passesOf(run);
    await state.runs.update(run.runId, {
      progress: {
        ...(await state.runs.get(run.runId))!.progress,
        [date]: { pass, passes: passes.length, done: false },
      },
    });
    ports.log.info({ runId: run.runId, date, pass }, `Pass ${pass} ready on ${date}`);
    await bus.publish({ v: 1, type: 'pass.ready', runId: run.runId, date, pass });
  }

  /**
   * Starts the dates whose turn has come: in order, at most `limit` more
   * than are done. Each start is a claimed step, so racing or redelivered
   * handlers start each date once and never start one early.
   */
  async function startDates(run: RunRecord): Promise<IsoDate[]> {
    const limit = sequential(run) ? 1 : PARALLEL_DATES;
    const first = passesOf(run)[0];
    if (first === undefined) return [];
    const done = (await claimedSteps(state.runs, run.runId, 'date-done')).length;
    const started: IsoDate[] = [];
    for (const date of runDates(run).slice(0, done + limit)) {
      if (await claimStep(state.runs, run.runId, { kind: 'date-start', date })) started.push(date);
      // Also for a date started before: a handler that failed between the two claims left its first pass unopened
      // (chaos seed 2525024), and nothing else opens it. The pass's own claim keeps it opened once.
      await publishPass(run, date, first);
    }
    return started;
  }

  async function finishRun(run: RunRecord): Promise<void> {
    const summary = await executionSummary(manifest, state, run, clock.now());
    // The status first and every time: a planner that died after claiming the step must not leave the run running.
    await state.runs.update(run.runId, {
      status: summary.status,
      finishedAt: clock.now().toISOString(),
      counts: summary.counts,
    });
    if (!(await claimStep(state.runs, run.runId, { kind: 'run-done' }))) return;
    const log = ports.log.child({ runId: run.runId });
    const fields = { executionSummary: summary };
    if (summary.status === 'failed') log.error(fields, formatSummary(summary));
    else log.info(fields, formatSummary(summary));
    await bus.publish({ v: 1, type: 'run.completed', runId: run.runId, status: summary.status });
  }

  /**
   * The dates of the repair window that have anything to repair, with what
   * (only when this process reads the warehouse; otherwise every date of
   * the window, and the executor leaves what needs nothing). Skipped when
   * the run already exists: a redelivery goes on with the recorded run.
   */
  async function repairPlan(
    event: RunRequested,
    only: string[] | null,
  ): Promise<{ dates: IsoDate[]; items: RepairItem[] | null }> {
    const window = repairWindow(event.dates, manifest.project.repairDays);
    if (window.length === 0 || ports.reader === undefined || (await state.runs.get(event.runId)) !== null)
      return { dates: window, items: null };
    const names = manifest.computations.map((e) => e.name).filter((name) => only === null || only.includes(name));
    const scope = (ports.versionScopes ?? new RunVersionScopes(manifest)).forRun(event.runId);
    const items = await scanRepairWindow({ manifest, state, reader: ports.reader }, window, names, scope);
    return { dates: window.filter((date) => items.some((item) => item.date === date)), items };
  }

  async function onRunRequested(event: RunRequested): Promise<void> {
    // A run.requested event in its full form is checked as the short forms are (shared/events/run-request.ts).
    const limit = manifest.project.maxRunDays;
    if (event.dates.length > limit)
      throw new PoisonMessageError(
        'TOO_MANY_DATES',
        `run ${event.runId} names ${event.dates.length} dates; one request may span at most ${limit} (maxRunDays)`,
      );
    if (event.dates.some((date, i) => i > 0 && date <= event.dates[i - 1]!))
      throw new PoisonMessageError('INVALID_RUN_MESSAGE', `run ${event.runId} names its dates out of order or twice`);
    // A scheduled run holds the computations due then; the choice depends on the event alone, so a redelivery makes the same one.
    const scheduled =
      event.schedule == null ? null : scheduledSelection(manifest, event.dates, event.schedule, event.computations);
    // A scheduled run, or one asked to, also looks back over the repair window (dates it does not already hold).
    // Automatic: started by the scheduler, so its tries are counted and bounded; a run asked to repair by hand is not.
    const automatic = event.schedule != null;
    const repair =
      automatic || event.repair === true ? await repairPlan(event, scheduled?.names ?? event.computations) : null;
    const repairDates = repair?.dates ?? [];
    const record: RunRecord = {
      runId: event.runId,
      dates: event.dates,
      ...(repair === null ? {} : { repairDates }),
      ...(automatic ? { automatic } : {}),
      trigger: event.trigger,
      computations: scheduled?.names ?? event.computations,
      force: event.force,
      status: 'running',
      startedAt: clock.now().toISOString(),
      finishedAt: null,
      progress: {},
    };
    const unknown = (event.computations ?? []).filter((name) => !manifest.byName.has(name));
    if (unknown.length > 0) {
      const names = unknown
        .slice(0, 10)
        .map((name) => {
          const near = nearestName(name, manifest.byName.keys());
          return `${quoted(name)}${near === undefined ? '' : ` (did you mean '${near}'?)`}`;
        })
        .join(', ')
        .concat(unknown.length > 10 ? ` and ${unknown.length - 10} more` : '');
      const error = `Run ${event.runId} names computations this project does not have: ${names}`;
      // Recorded as failed, so status shows it; the message itself is poison (a retry cannot help).
      await state.runs.create({ ...record, status: 'failed', finishedAt: clock.now().toISOString(), error });
      throw new PoisonMessageError('UNKNOWN_COMPUTATION', error);
    }
    if (await state.runs.create(record)) {
      const purged = await state.states.purgeExpired(clock.now());
      await state.history.purgeExpired(clock.now());
      ports.log.info(
        {
          runId: event.runId,
          dates: event.dates,
          computations: event.computations,
          force: event.force,
          trigger: event.trigger,
          purged,
          ...(scheduled === null ? {} : { schedule: event.schedule, notDue: scheduled.left }),
          ...(repair?.items == null ? {} : { repair: repair.items }),
        },
        (scheduled === null
          ? `Run ${event.runId} requested`
          : `Scheduled run ${event.runId} (${event.schedule} UTC) for ${event.dates.join(', ')}: ${scheduled.names.length === 0 ? 'nothing is due' : scheduled.names.join(', ')}`) +
          (repair === null
            ? ''
            : repair.items === null
              ? repairDates.length === 0
                ? ''
                : `; repair window ${repairDates[0]}..${repairDates[repairDates.length - 1]}: partial, failed or blocked dates and changed inputs run again`
              : `; repair window: ${repair.items.length === 0 ? 'nothing to repair' : repair.items.map((i) => `${i.date} ${i.name} (${i.reason})`).join(', ')}`),
      );
    }
    const run = (await state.runs.get(event.runId))!;
    if (passesOf(run).length === 0) return finishRun(run);
    await startDates(run);
  }

  /** A completion as delivered: checked against the stored run and states first (poison when it does not fit). */
  async function onDeliveredCompletion(event: ComputationCompleted): Promise<void> {
    await checkCompletion(state, manifest, await runOf(state, event), event);
    return onComputationCompleted(event);
  }

  /** Counts a completion the caller knows is real (checked, or found by the watchdog in the stored states). */
  async function onComputationCompleted(event: ComputationCompleted): Promise<void> {
    const run = await state.runs.get(event.runId);
    if (run === null) return;
    await claimStep(state.runs, run.runId, { kind: 'done', date: event.date, computation: event.computation });
    const names = selectedNames(manifest, run).filter((name) => manifest.byName.get(name)!.pass === event.pass);
    const done = new Set(
      (await claimedSteps(state.runs, run.runId, 'done', { date: event.date })).map((step) => step.computation),
    );
    if (!names.every((name) => done.has(name))) return;
    if (!(await claimStep(state.runs, run.runId, { kind: 'closed', date: event.date, pass: event.pass }))) {
      // Closed before; a handler that failed right after (chaos seed 2526100) may have left the next pass unopened.
      const passes = passesOf(run);
      const next = passes[passes.indexOf(event.pass) + 1];
      if (next !== undefined) await publishPass(run, event.date, next);
      return;
    }
    await afterPassClosed(run, event.date, event.pass);
  }

  /** Opens the next pass of a date, or closes the date (and the run, or starts the next dates). */
  async function afterPassClosed(run: RunRecord, date: IsoDate, pass: number): Promise<void> {
    const passes = passesOf(run);
    const next = passes[passes.indexOf(pass) + 1];
    if (next !== undefined) return publishPass(run, date, next);
    if (await claimStep(state.runs, run.runId, { kind: 'date-done', date })) {
      await state.runs.update(run.runId, {
        progress: {
          ...(await state.runs.get(run.runId))!.progress,
          [date]: { pass, passes: passes.length, done: true },
        },
      });
    }
    if ((await claimedSteps(state.runs, run.runId, 'date-done')).length === runDates(run).length) return finishRun(run);
    await startDates(run);
  }

  const sweep = (options: SweepOptions = {}) =>
    sweepRuns(ports, { passesOf, onComputationCompleted, afterPassClosed, startDates, finishRun }, options);

  async function onSweepRequested(event: SweepRequested): Promise<void> {
    const report = await sweep(event.reclaim === undefined ? {} : { reclaim: event.reclaim });
    ports.log.info({ sweep: report }, `Sweep ${event.runId}: ${describeSweep(report)}`);
  }

  return { onRunRequested, onComputationCompleted: onDeliveredCompletion, onSweepRequested, sweep };
}
