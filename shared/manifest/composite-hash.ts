import { canonicalJson, sha256 } from '../util/hash.ts';

/**
 * Everything a stored result depends on, by name. Kept beside the composite
 * hash so `analyze` can say which part changed.
 */
export interface HashComponents {
  /** Code hash of the computation and its local helpers. */
  code: string;
  /** The project's epoch. */
  epoch: number;
  /** Hash of each layer module it imports, by layer name. */
  layers: Record<string, string>;
  /** Hash of each rule module it lists, by rule name. */
  rules: Record<string, string>;
  /** Result hash of each dependency for the same date (null: no result). */
  dependencies: Record<string, string | null>;
  /** Historical computations: own result hash for the previous date (null: none). */
  previous?: string | null;
  /**
   * Version of the rows read in each required table's window, by table: it
   * changes when a row the computation reads changes. Absent in states
   * stored before input versions existed, and for computations that read no
   * versioned table.
   */
  inputs?: Record<string, string>;
  /** Hash of the result checks of its config (shared/checks/checks-hash.ts); absent when it has none. */
  checks?: string;
}

export function compositeHash(components: HashComponents): string {
  // No versioned input hashes as before input versions existed: such states stay up to date.
  if (components.inputs !== undefined && Object.keys(components.inputs).length === 0) {
    const { inputs: _none, ...rest } = components;
    return sha256(canonicalJson(rest));
  }
  return sha256(canonicalJson(components));
}

/** The composite hash a state stored before input versions existed would have for these components. */
export function hashWithoutInputs(components: HashComponents): string {
  const { inputs: _inputs, ...rest } = components;
  return sha256(canonicalJson(rest));
}

/**
 * Names of the components that differ, e.g. ['code', 'layer:math',
 * 'rule:risk', 'dependency:Prices', 'previous']. Empty when equal.
 */
export function changedComponents(before: HashComponents | undefined, after: HashComponents): string[] {
  if (before === undefined) return ['new'];
  const changed: string[] = [];
  if (before.code !== after.code) changed.push('code');
  if (before.epoch !== after.epoch) changed.push('epoch');
  const keyed = [
    ['layer', before.layers, after.layers],
    ['rule', before.rules, after.rules],
    ['dependency', before.dependencies, after.dependencies],
  ] as const;
  for (const [label, was, now] of keyed) {
    for (const key of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
      if (was[key] !== now[key]) changed.push(`${label}:${key}`);
    }
  }
  if ((before.previous ?? null) !== (after.previous ?? null)) changed.push('previous');
  if ((before.checks ?? null) !== (after.checks ?? null)) changed.push('checks');
  // A state from before input versions has none to compare: it records them, nothing changed.
  if (before.inputs !== undefined) {
    const was = before.inputs;
    const now = after.inputs ?? {};
    for (const table of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
      if (was[table] !== now[table]) changed.push(`input:${table}`);
    }
  }
  return changed;
}
