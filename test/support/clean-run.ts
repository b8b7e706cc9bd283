import { runProject } from './embedded.ts';
import { BODIES, scenarioProject } from './scenario.ts';

/** A scenario project's shape: its entity count and the computation bodies that differ from the defaults. */
export type ScenarioShape = { entities: number; bodies?: Partial<typeof BODIES> };

/**
 * What a clean embedded run of each scenario shape stores for one date:
 * result hashes by `date/name`, the reference a run under faults must equal.
 */
export async function cleanRunHashes<Name extends string>(
  shapes: Record<Name, ScenarioShape>,
  date: string,
): Promise<Record<Name, Record<string, string | null>>> {
  const hashes = {} as Record<Name, Record<string, string | null>>;
  for (const [name, shape] of Object.entries(shapes) as Array<[Name, ScenarioShape]>) {
    // The scenario project holds three dates; run only `date`, as the fault tests do.
    const clean = await scenarioProject({ entities: shape.entities, bodies: shape.bodies ?? {} });
    try {
      const outcome = await runProject(clean.root, { dates: [date] });
      hashes[name] = Object.fromEntries(outcome.summary.computations.map((c) => [`${c.date}/${c.name}`, c.resultHash]));
    } finally {
      await clean.remove();
    }
  }
  return hashes;
}
