import type { Manifest, ManifestEntry } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { VersionScope } from '../ports/warehouse.ts';
import type { ComputationReader, InputVersions } from '../warehouse/computation-reader.ts';

/** A fresh scope for the version lookups of one run or analysis, covering every table the manifest reads. */
export function versionScope(manifest: Manifest): VersionScope {
  const tables = new Set<string>();
  for (const entry of manifest.computations) for (const table of Object.keys(entry.config.requires)) tables.add(table);
  return { tables: [...tables].sort(), memo: new Map(), queries: 0 };
}

/**
 * Version scopes by run, so every decision of one run shares its version
 * queries (their number per run does not grow with the number of
 * computations). A process serves many runs over time: the oldest scopes
 * are dropped, which only costs a query again.
 */
export class RunVersionScopes {
  readonly #scopes = new Map<string, VersionScope>();
  readonly #manifest: Manifest;
  readonly #keep: number;

  constructor(manifest: Manifest, keep = 8) {
    this.#manifest = manifest;
    this.#keep = keep;
  }

  forRun(runId: string): VersionScope {
    let scope = this.#scopes.get(runId);
    if (scope === undefined) {
      scope = versionScope(this.#manifest);
      this.#scopes.set(runId, scope);
      if (this.#scopes.size > this.#keep) this.#scopes.delete(this.#scopes.keys().next().value!);
    }
    return scope;
  }
}

/**
 * The versions of what a computation reads on a date, or undefined when it
 * reads nothing. Reads whose query cannot be planned have no version: the
 * run itself reports why they fail.
 */
export async function inputVersionsFor(
  reader: ComputationReader,
  entry: ManifestEntry,
  date: IsoDate,
  scope: VersionScope,
): Promise<InputVersions | undefined> {
  if (Object.keys(entry.config.requires).length === 0) return undefined;
  const { reads } = await reader.plan(entry, date);
  return reader.inputVersions(entry, reads, scope);
}
