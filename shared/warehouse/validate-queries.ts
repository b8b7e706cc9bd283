import type { Problem } from '../errors.ts';
import type { Manifest, ManifestEntry } from '../manifest/manifest.ts';
import type { IsoDate } from '../model/types.ts';
import type { ComputationReader } from './computation-reader.ts';

/**
 * Checks every required table of every computation against the warehouse;
 * all problems at once, and the warnings (cost risks) beside them.
 */
export async function validateQueries(
  manifest: Manifest,
  reader: ComputationReader,
  date: IsoDate,
): Promise<{ problems: Problem[]; warnings: Problem[] }> {
  const plans = await Promise.all(manifest.computations.map((entry: ManifestEntry) => reader.plan(entry, date)));
  return { problems: plans.flatMap((plan) => plan.problems), warnings: plans.flatMap((plan) => plan.warnings) };
}
