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
import { addDays } from '../warehouse/dates.ts';

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

const USABLE = new Set(['completed', 'skipped']);

/** Whether a stored state holds a result that computations depending on it can use. */
export function hasUsableResult(state: ComputationState): boolean {
  return USABLE.has(state.status) && state.resultHash !== null;
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
  const upToDate = !input.force && stored !== null && USABLE.has(stored.status);
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
  else if (!USABLE.has(stored.status))
    reasons.push(`last attempt was ${stored.status}${stored.error ? `: ${stored.error}` : ''}`);
  for (const component of changed.filter((c) => c !== 'new')) reasons.push(describeChange(component, input.inputs));
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

/** The date whose own result a historical computation builds on. */
export function previousDate(date: IsoDate): IsoDate {
  return addDays(date, -1);
}
