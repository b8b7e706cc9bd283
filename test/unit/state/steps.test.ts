import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import {
  claimedSteps,
  claimStep,
  hasStep,
  parseStepKey,
  parseStepOf,
  stepKey,
  stepPrefix,
  type StepKey,
} from '../../../shared/state/steps.ts';

const D = '2026-01-26';

/** One step of every kind, with the key it is stored under (the formats runs under way already hold). */
const EVERY_KIND: Array<[StepKey, string]> = [
  [{ kind: 'pass', date: D, pass: 2 }, `pass/${D}/2`],
  [{ kind: 'date-start', date: D }, `date-start/${D}`],
  [{ kind: 'done', date: D, computation: 'Totals' }, `done/${D}/Totals`],
  [{ kind: 'closed', date: D, pass: 1 }, `closed/${D}/1`],
  [{ kind: 'date-done', date: D }, `date-done/${D}`],
  [{ kind: 'run-done' }, 'run-done'],
  [{ kind: 'outcome', date: D, computation: 'Totals', status: 'partial' }, `outcome/${D}/Totals/partial`],
  [{ kind: 'attempt', date: D, computation: 'Totals', attempt: 7 }, `attempt/${D}/Totals/00000007`],
  [{ kind: 'republish', date: D, computation: 'Totals', attempt: 7, token: 9 }, `republish/${D}/Totals/7/9`],
  [{ kind: 'breaker', date: D, computation: 'Totals', attempt: 3 }, `breaker/${D}/Totals/3`],
  [{ kind: 'finalize', date: D, computation: 'Totals', attempt: 3, token: 4 }, `finalize/${D}/Totals/3/4`],
  [{ kind: 'try', date: D, computation: 'Totals', n: 2 }, `tries/${D}/Totals/2`],
];

describe('step keys', () => {
  it.each(EVERY_KIND)('writes %o as the stored key and reads it back', (step, key) => {
    expect(stepKey(step)).toBe(key);
    expect(parseStepKey(key)).toEqual(step);
  });

  it('lists by prefix: the leading fields given, each as its key writes it', () => {
    expect(stepPrefix('date-done')).toBe('date-done/');
    expect(stepPrefix('done', { date: D })).toBe(`done/${D}/`);
    expect(stepPrefix('attempt', { date: D, computation: 'Totals' })).toBe(`attempt/${D}/Totals/`);
    // A computation's prefix ends at its name: Totals does not list TotalsByRegion's attempts.
    expect(
      `attempt/${D}/TotalsByRegion/00000001`.startsWith(stepPrefix('attempt', { date: D, computation: 'Totals' })),
    ).toBe(false);
  });

  it.each([
    ['', /no known kind/],
    ['attempts/2026-01-26/Totals/00000001', /no known kind \('attempts'\).*attempt, republish/],
    ['attempt/2026-01-26/Totals', /has 2 part\(s\) after 'attempt'; expected attempt\/DATE\/COMPUTATION\/ATTEMPT/],
    ['run-done/extra', /has 1 part\(s\) after 'run-done'/],
    ['pass/2026-02-30/1', /'2026-02-30' is not a valid date/],
    ['pass/2026-01-26/one', /'one' is not a valid pass/],
    ['pass/2026-01-26/-1', /'-1' is not a valid pass/],
    ['outcome/2026-01-26/Totals/running', /'running' is not a valid status/],
    ['done/2026-01-26/', /'' is not a valid computation/],
    ['finalize/2026-01-26/Totals/3/4/5', /has 5 part\(s\)/],
    // Not zero-padded as attempts are written: would list out of order.
    ['attempt/2026-01-26/Totals/7', /not written as .* \(expected 'attempt\/2026-01-26\/Totals\/00000007'\)/],
    ['closed/2026-01-26/01', /expected 'closed\/2026-01-26\/1'/],
  ])('refuses the malformed key %j, naming the key and what is wrong', (key, message) => {
    expect(() => parseStepKey(key)).toThrow(message);
  });

  it('refuses a key of another kind where one kind is listed', () => {
    expect(() => parseStepOf('done', `closed/${D}/1`)).toThrow(
      `Step key 'closed/${D}/1' is a closed step, not a done step`,
    );
  });

  it('claims each step once and lists a kind back as typed steps, oldest attempt first', async () => {
    const store = new SqliteStateStore(':memory:');
    try {
      const attempt = (n: number) => ({ kind: 'attempt', date: D, computation: 'Totals', attempt: n }) as const;
      expect(await claimStep(store.runs, 'r', attempt(10))).toBe(true);
      expect(await claimStep(store.runs, 'r', attempt(9))).toBe(true);
      expect(await claimStep(store.runs, 'r', attempt(10))).toBe(false);
      await claimStep(store.runs, 'r', { kind: 'attempt', date: D, computation: 'TotalsByRegion', attempt: 11 });
      const listed = await claimedSteps(store.runs, 'r', 'attempt', { date: D, computation: 'Totals' });
      expect(listed.map((step) => step.attempt)).toEqual([9, 10]);
      expect(await hasStep(store.runs, 'r', attempt(9))).toBe(true);
      expect(await hasStep(store.runs, 'r', attempt(1))).toBe(false);
      await claimStep(store.runs, 'r', { kind: 'pass', date: D, pass: 10 });
      // A stored key that begins with the one asked for is another step.
      expect(await hasStep(store.runs, 'r', { kind: 'pass', date: D, pass: 1 })).toBe(false);
    } finally {
      await store.close();
    }
  });
});
