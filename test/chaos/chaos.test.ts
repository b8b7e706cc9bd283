import { describe, expect, it } from 'vitest';
import { runIteration } from './iteration.ts';

/**
 * The seeded chaos test, a small N in CI (CHAOS_ITERATIONS, default 6);
 * `npm run chaos -- --iterations 500` runs more. The base seed changes per
 * run (CHAOS_SEED fixes it); a failing seed is printed with the command
 * that replays it.
 */
const iterations = Number(process.env.CHAOS_ITERATIONS ?? 6);
const base = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000_000));

describe('chaos: a seeded fault in a small run', () => {
  it(`keeps the invariant over ${iterations} iterations (base seed ${base})`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < iterations; i++) {
      const result = await runIteration(base + i);
      if (result.problems.length > 0)
        failures.push(
          `seed ${result.seed} (${result.fault}): ${result.problems.join('; ')}\n  replay: npm run chaos -- --seed ${result.seed}`,
        );
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);

  // Seeds that once broke the invariant, replayed every time (each fixed in the commit that added it).
  // 2540279 (a paused compute run): stopped while its first open of the state file held SQLite's lock, it made
  // compute status and compute sweep fail with "Unexpected error: database is locked"; now a PROJECT_BUSY
  // refusal (cli/busy-project.ts). The stop lands in that window only with the timing of that run, so its
  // replay mostly passes either way; test/unit/cli/open-ports.test.ts holds the lock for certain.
  // 2540255 (a kill under a clock offset): a run right after one on a clock ahead reported every computation
  // blocked by that run (it compared the two hosts' clocks); now judged on the store's clock (executor/drive.ts).
  it.each([2525024, 2526100, 2526304, 2540279, 2540255])(
    'keeps the invariant at seed %i',
    async (seed) => {
      const result = await runIteration(seed);
      expect(result.problems, `${result.fault}: replay with npm run chaos -- --seed ${seed}`).toEqual([]);
    },
    120_000,
  );
});
