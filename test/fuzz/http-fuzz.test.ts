import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorMissing } from '../support/emulators.ts';
import { fuzzParsers } from './parsers.ts';
import { startFuzzSession, type FuzzSession } from './session.ts';

/**
 * The seeded HTTP fuzz test (issue 20): random and mutated bodies,
 * headers and sizes against every route of the deployed services in token
 * mode, on the emulators. After each case the services answer /healthz,
 * no response or log line holds a credential or an internal detail, and
 * the stored runs and states are those from before (except what a valid
 * request may start). A small N here (FUZZ_CASES, default 40); `npm run
 * fuzz -- --cases 2000` runs more. The base seed changes per run
 * (FUZZ_SEED fixes it).
 */
const cases = Number(process.env.FUZZ_CASES ?? 40);
const base = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 1_000_000_000));
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

describe.skipIf(missing !== null)('HTTP fuzz of every route (emulators, token mode)', () => {
  let session: FuzzSession;
  beforeAll(async () => {
    session = await startFuzzSession();
  }, 120_000);
  afterAll(() => session?.close());

  it(`holds over ${cases} cases (base seed ${base})`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < cases; i++) {
      const result = await session.runCase(base + i);
      if (result.problems.length > 0)
        failures.push(
          `seed ${result.case.seed} (${result.case.kind} ${result.case.method} ${result.case.path} -> ${result.status}): ${result.problems.join('; ')}\n  replay: npm run fuzz -- --seed ${result.case.seed}`,
        );
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);
});

describe('the run-message and event parsers, fuzzed in process', () => {
  it(`accept within bounds or refuse as poison with a short printable message (${cases * 20} cases, base seed ${base})`, () => {
    const result = fuzzParsers(base, cases * 20);
    expect(result.problems).toEqual([]);
    expect(result.poison).toBeGreaterThan(0);
  });
});
