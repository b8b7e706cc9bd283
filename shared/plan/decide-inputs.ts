import type { ManifestEntry } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { ComputationState, StateStore } from '../ports/state-store.ts';
import type { VersionScope } from '../ports/warehouse.ts';
import { inputVersionsFor } from './input-versions.ts';
import type { ComputationReader, InputVersions } from '../warehouse/computation-reader.ts';
import { previousDate } from './decide.ts';

/** What `decide()` reads of a computation on a date, from the state store and the warehouse. */
export interface DecideInputs {
  /** Its own stored state on the date. */
  stored: ComputationState | null;
  /** Historical computations: its stored state on the previous date it is due; else null. */
  previous: ComputationState | null;
  /** The versions of the rows it reads; undefined when it reads no table. */
  inputs: InputVersions | undefined;
  /** Each dependency's stored state on the date (null when it has none). */
  dependencies: ReadonlyMap<string, ComputationState | null>;
}

/**
 * Gathers `decide()`'s inputs for a computation on a date, read side by
 * side: the one gathering the executor (before it runs a computation) and
 * `compute analyze` (before it says what a run would do) share, so both
 * decide on the same facts. `stored`: its state as the caller just read it
 * (read here when not given).
 */
export async function gatherDecideInputs(
  source: { state: StateStore; reader: ComputationReader },
  entry: ManifestEntry,
  date: IsoDate,
  scope: VersionScope,
  stored?: ComputationState | null,
): Promise<DecideInputs> {
  const { state, reader } = source;
  const [own, previous, inputs, dependencies] = await Promise.all([
    stored !== undefined ? Promise.resolve(stored) : state.states.get(date, entry.name),
    entry.config.isHistorical ? state.states.get(previousDate(entry, date), entry.name) : Promise.resolve(null),
    inputVersionsFor(reader, entry, date, scope),
    Promise.all(entry.config.dependencies.map(async (name) => [name, await state.states.get(date, name)] as const)),
  ]);
  return { stored: own, previous, inputs, dependencies: new Map(dependencies) };
}
