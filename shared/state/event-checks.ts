import { PoisonMessageError } from '../errors.ts';
import type { BatchCompleted, BatchReady, ComputationCompleted, PassReady } from '../events/contracts.ts';
import type { Manifest } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { RunRecord, StateStore } from '../ports/state-store.ts';
import { runDates } from './run-dates.ts';
import { hasStep } from './steps.ts';

/**
 * Internal events are checked against the stored run and states before
 * they change anything (DESIGN.md 5b): whoever can deliver to a service's
 * `/` route cannot open a pass early, close one for a date the run never
 * covered, or record a status nothing reached. What fails is poison: the
 * service logs it and acknowledges it.
 */

function refuse(event: { type: string; runId: string }, why: string): PoisonMessageError {
  return new PoisonMessageError('EVENT_NOT_IN_RUN', `${event.type} for run ${event.runId} refused: ${why}`);
}

/** The run an event names; an unknown run is poison (a run is recorded before any of its events). */
export async function runOf(state: StateStore, event: { type: string; runId: string }): Promise<RunRecord> {
  const run = await state.runs.get(event.runId);
  if (run === null) throw refuse(event, 'the state store holds no such run');
  return run;
}

function inRun(run: RunRecord, manifest: Manifest, computation: string): boolean {
  return manifest.byName.has(computation) && (run.computations === null || run.computations.includes(computation));
}

function coversDate(run: RunRecord, event: { type: string; runId: string; date: IsoDate }): void {
  if (!runDates(run).includes(event.date)) throw refuse(event, `the run does not cover ${event.date}`);
}

/**
 * A `computation.completed`: the date is the run's, the computation is in
 * the run and in that pass, the pass was opened, and the status is the
 * outcome the executor recorded (and, when the stored state is this
 * run's, the stored status).
 */
export async function checkCompletion(
  state: StateStore,
  manifest: Manifest,
  run: RunRecord,
  event: ComputationCompleted,
): Promise<void> {
  coversDate(run, event);
  const entry = manifest.byName.get(event.computation);
  if (entry === undefined || !inRun(run, manifest, event.computation))
    throw refuse(event, 'that computation is not part of the run');
  if (entry.pass !== event.pass) throw refuse(event, `that computation is in pass ${entry.pass}, not ${event.pass}`);
  if (!(await hasStep(state.runs, run.runId, { kind: 'pass', date: event.date, pass: event.pass })))
    throw refuse(event, `pass ${event.pass} of ${event.date} was never opened`);
  const stored = await state.states.get(event.date, event.computation);
  if (stored !== null && stored.runId === run.runId && stored.status !== event.status)
    throw refuse(event, `the stored state is ${stored.status}, not ${event.status}`);
  const outcome = { kind: 'outcome', date: event.date, computation: event.computation, status: event.status } as const;
  if (!(await hasStep(state.runs, run.runId, outcome)))
    throw refuse(event, `no ${event.status} outcome of ${event.computation} on ${event.date} was recorded`);
}

/** A `pass.ready`: the date is the run's, and the planner opened that pass of it. */
export async function checkPass(state: StateStore, run: RunRecord, event: PassReady): Promise<void> {
  coversDate(run, event);
  if (!(await hasStep(state.runs, run.runId, { kind: 'pass', date: event.date, pass: event.pass })))
    throw refuse(event, `pass ${event.pass} of ${event.date} was never opened`);
}

/** A `batch.ready` or `batch.completed`: the date is the run's and the computation one of its. */
export function checkBatchEvent(manifest: Manifest, run: RunRecord, event: BatchReady | BatchCompleted): void {
  coversDate(run, event);
  if (!inRun(run, manifest, event.computation)) throw refuse(event, 'that computation is not part of the run');
}
