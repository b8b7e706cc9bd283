import { UserError } from '../errors.ts';
import type { ComputationClass } from '../model/computation.ts';
import { didYouMean } from '../util/nearest.ts';
import type { ComputationConfig } from '../model/config-schema.ts';
import type { ProjectConfig } from '../project/project-config.ts';
import type { HashComponents } from './composite-hash.ts';
import { checksHash } from './checks-hash.ts';

/** One checked computation of a manifest. */
export interface ManifestEntry {
  name: string;
  config: ComputationConfig;
  /** Project-relative path of its file. */
  file: string;
  Class: ComputationClass;
  pass: number;
  /** Computations that list this one as a dependency. */
  dependents: string[];
  codeHash: string;
  /** Layer name -> hash of each layer module it imports. */
  layerHashes: Record<string, string>;
  /** Rule name -> hash of each rule module it lists. */
  ruleHashes: Record<string, string>;
  /** Absolute paths of its rule modules, by rule name. */
  ruleFiles: Record<string, string>;
}

/** Every computation of a project, checked, ordered into passes and hashed. */
export interface Manifest {
  project: ProjectConfig;
  /** Entries ordered by pass, then name. */
  computations: ManifestEntry[];
  byName: ReadonlyMap<string, ManifestEntry>;
  /** Names per pass: passes[0] runs first. */
  passes: string[][];
}

/**
 * The hash components that a manifest alone decides; dependency results and
 * the previous day's result come from the state store at run time.
 */
export function staticComponents(
  manifest: Manifest,
  entry: ManifestEntry,
): Omit<HashComponents, 'dependencies' | 'previous'> {
  return {
    code: entry.codeHash,
    epoch: manifest.project.epoch,
    layers: entry.layerHashes,
    rules: entry.ruleHashes,
    // Only when it has checks: states stored before checks existed keep their hash.
    ...(entry.config.checks.length > 0 ? { checks: checksHash(entry.config.checks) } : {}),
  };
}

/** The entry of a computation named by a user (a flag, an API request), or a UserError with the nearest name. */
export function requireComputation(manifest: Manifest, name: string): ManifestEntry {
  const entry = manifest.byName.get(name);
  if (entry === undefined) {
    const known = [...manifest.byName.keys()];
    throw new UserError(
      'UNKNOWN_COMPUTATION',
      `No computation named '${name}'.${didYouMean(name, known)} Known: ${known.join(', ')}.`,
    );
  }
  return entry;
}
