import {
  changedComponents,
  compositeHash,
  hashWithoutInputs,
  type HashComponents,
} from '../manifest/composite-hash.ts';
import type { InputVersions } from '../warehouse/computation-reader.ts';
import { staticComponents, type Manifest, type ManifestEntry } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { ComputationState } from '../ports/state-store.ts';
import { isDue } from '../schedule/due.ts';
import { addDays } from '../model/dates.ts';

export type DecisionKind = 'run' | 'skip' | 'blocked' | 'impossible';

export interface Decision {
  name: string;
  date: IsoDate;
  decision: DecisionKind;
  reasons: string[];
  /** Hash components that differ from the stored ones ('new' when nothing is stored). */
  changed: string[];
  /** Null when a dependency's result is not known yet (it runs first). */
  compositeHash: string | null;
  components: HashComponents | null;
}

/** What is known of a dependency: its stored state, or what an analysis expects of it. */
export type DependencyView =
  | { kind: 'final'; state: ComputationState | null }
  | { kind: 'will-run' }
  | { kind: 'will-not-run'; status: 'blocked' | 'impossible' };

export interface DecideInput {
  manifest: Manifest;
  entry: ManifestEntry;
  date: IsoDate;
  force: boolean;
  /** The stored state of this computation for the date. */
  stored: ComputationState | null;
  /** Historical computations: the stored state for the previous date. */
  previous: ComputationState | null;
  /** Versions of the rows it reads, by table, with their windows for messages. (Default: none) */
  inputs?: InputVersions;
  dependency(name: string): DependencyView;
}

/** How a decision says it reads a partial dependency: its results lack the failed entities'. */
export const PARTIAL_DEPENDENCY_NOTE = 'built on partial results of';

/** Statuses whose stored results dependents may read (a partial one lacks its failed entities' results). */
const USABLE = new Set(['completed', 'skipped', 'partial']);

/** Whether a stored state holds a result that computations depending on it can use. */
export function hasUsableResult(state: ComputationState): boolean {
  return USABLE.has(state.status) && state.resultHash !== null;
}

/**
 * Whether a stored state is finished business: completed or skipped with no
 * failed entity. A partial state (or one written before `partial` existed,
 * completed with failed entities) is never up to date.
 */
export function isComplete(state: ComputationState): boolean {
  return (state.status === 'completed' || state.status === 'skipped') && (state.counts?.failed ?? 0) === 0;
}

/** A partial state: some entities failed, the others' results are stored. */
export function isPartial(state: ComputationState): boolean {
  return state.status === 'partial' || (hasUsableResult(state) && (state.counts?.failed ?? 0) > 0);
}

/** The status to show for a stored state: `partial` also for one written as completed with failed entities. */
export function shownStatus(state: ComputationState): string {
  return isPartial(state) ? 'partial' : state.status;
}

/**
 * Why a historical computation cannot build on its previous date's state,
 * or null when it can: that date failed or was blocked (every entity's
 * history is missing), or it is partial with more failed entities than
 * were recorded by id (so it cannot tell which ones).
 */
export function previousProblem(name: string, previous: ComputationState | null): string | null {
  if (previous === null) return null;
  const repair = `repair ${previous.date} first (compute run --date ${previous.date} --computation ${name})`;
  if (previous.status === 'failed' || previous.status === 'blocked')
    return `its previous date ${previous.date} is ${previous.status}, and its history builds on that date: ${repair}`;
  if (isPartial(previous) && (previous.counts?.failed ?? 0) > (previous.failedIds?.length ?? 0))
    return `its previous date ${previous.date} is partial and did not record which of its ${previous.counts?.failed ?? 0} entities failed: ${repair}`;
  return null;
}

/**
 * Decides run, skip or blocked for one computation and date from the
 * stored states: blocked when a dependency failed or has no result; skip
 * when the composite hash equals the stored one (unless forced); run
 * otherwise, naming the hash components that changed.
 */
export function decide(input: DecideInput): Decision {
  const { entry, date } = input;
  const dependencies: Record<string, string | null> = {};
  const pending: string[] = [];
  const partialDeps: string[] = [];
  for (const dep of entry.config.dependencies) {
    const view = input.dependency(dep);
    if (view.kind === 'will-run') {
      pending.push(dep);
      continue;
    }
    if (view.kind === 'will-not-run') {
      return blocked(input, `dependency ${dep} will be ${view.status} on ${date}`);
    }
    const state = view.state;
    if (state === null || !hasUsableResult(state)) {
      const status = state === null ? 'has not run' : `is ${state.status}`;
      return blocked(input, `dependency ${dep} ${status} on ${date}${state?.error ? ` (${state.error})` : ''}`);
    }
    dependencies[dep] = state.resultHash;
    if (isPartial(state)) partialDeps.push(`${dep} (${state.counts?.failed ?? 0} of its entities failed)`);
  }

  if (entry.config.isHistorical) {
    const problem = previousProblem(entry.name, input.previous);
    if (problem !== null) return blocked(input, problem);
  }

  const components: HashComponents = { ...staticComponents(input.manifest, entry), dependencies };
  if (input.inputs !== undefined && Object.keys(input.inputs.versions).length > 0)
    components.inputs = input.inputs.versions;
  if (entry.config.isHistorical)
    components.previous =
      input.previous !== null && USABLE.has(input.previous.status) ? input.previous.resultHash : null;

  if (pending.length > 0) {
    const changed =
      input.stored?.components == null
        ? ['new']
        : changedComponents(input.stored.components, components).filter(
            (c) => !pending.some((p) => c === `dependency:${p}`),
          );
    return {
      name: entry.name,
      date,
      decision: 'run',
      reasons: [
        `${pending.join(', ')} ${pending.length === 1 ? 'runs' : 'run'} first; this re-runs unless ${pending.length === 1 ? 'its' : 'their'} output is unchanged`,
      ],
      changed: [...changed, ...pending.map((p) => `dependency:${p}`)],
      compositeHash: null,
      components: null,
    };
  }

  const hash = compositeHash(components);
  const stored = input.stored;
  const upToDate = !input.force && stored !== null && isComplete(stored);
  if (upToDate && stored.compositeHash === hash) {
    return {
      name: entry.name,
      date,
      decision: 'skip',
      reasons: ['up to date: the composite hash matches the stored one'],
      changed: [],
      compositeHash: hash,
      components,
    };
  }
  if (upToDate && stored.components?.inputs === undefined && stored.compositeHash === hashWithoutInputs(components)) {
    // Stored before input versions existed and otherwise up to date: record the versions, re-run nothing.
    return {
      name: entry.name,
      date,
      decision: 'skip',
      reasons: ['up to date; the versions of its inputs are recorded for the first time'],
      changed: [],
      compositeHash: hash,
      components,
    };
  }
  const changed = stored?.components == null ? ['new'] : changedComponents(stored.components, components);
  const reasons: string[] = [];
  if (input.force) reasons.push('forced');
  if (stored === null) reasons.push('never ran for this date');
  else if (isPartial(stored))
    reasons.push(
      `last attempt was partial: ${stored.counts?.failed ?? 0} of ${stored.counts?.planned ?? '?'} entities failed; they run again`,
    );
  else if (!isComplete(stored))
    reasons.push(`last attempt was ${stored.status}${stored.error ? `: ${stored.error}` : ''}`);
  for (const component of changed.filter((c) => c !== 'new')) reasons.push(describeChange(component, input.inputs));
  if (partialDeps.length > 0) reasons.push(`${PARTIAL_DEPENDENCY_NOTE} ${partialDeps.join(', ')}`);
  return { name: entry.name, date, decision: 'run', reasons, changed, compositeHash: hash, components };
}

function blocked(input: DecideInput, reason: string): Decision {
  return {
    name: input.entry.name,
    date: input.date,
    decision: 'blocked',
    reasons: [reason],
    changed: [],
    compositeHash: null,
    components: null,
  };
}

function describeChange(component: string, inputs: InputVersions | undefined): string {
  if (component === 'code') return 'its code changed';
  if (component === 'epoch') return 'the epoch changed';
  if (component === 'previous') return "the previous day's result changed";
  // Issue 22 (shared/checks/): only the checks run again, on the stored results.
  if (component === 'checks') return 'its result checks changed';
  const [kind, name] = component.split(':');
  if (kind === 'layer') return `layer ${name} changed`;
  if (kind === 'rule') return `rule ${name} changed`;
  if (kind === 'input') {
    const window = name === undefined ? undefined : inputs?.windows[name];
    return `${component} changed${window === undefined ? ' (no longer versioned)' : ` (${window})`}`;
  }
  return `dependency ${name}'s result changed`;
}

/**
 * The date whose own result a historical computation builds on: the
 * previous date on which it is due by its schedule (the day before for a
 * daily one, the same weekday a week before for a weekly one, the same day
 * of the month before for a monthly one).
 */
export function previousDate(entry: Pick<ManifestEntry, 'config'>, date: IsoDate): IsoDate {
  const schedule = entry.config.schedule;
  for (let back = 1; back <= 31; back++) {
    const candidate = addDays(date, -back);
    if (isDue(schedule, candidate)) return candidate;
  }
  return addDays(date, -1);
}
