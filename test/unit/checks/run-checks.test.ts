import { describe, expect, it } from 'vitest';
import { checksSchema, type CheckInput } from '../../../shared/model/check-schema.ts';
import { checksHash } from '../../../shared/manifest/checks-hash.ts';
import { runChecks, type CheckOutcome } from '../../../shared/checks/run-checks.ts';
import { computationConfigSchema } from '../../../shared/model/config-schema.ts';
import type { StoredResult } from '../../../shared/ports/warehouse.ts';
import { describeIssues } from '../../../shared/util/zod-problems.ts';

/** Stored results in pages of `size`, as a result store streams them. */
async function* pages(results: StoredResult[], size = 2): AsyncIterable<StoredResult[]> {
  for (let i = 0; i < results.length; i += size) yield results.slice(i, i + size);
}

const results = (values: Array<[string, unknown]>): StoredResult[] =>
  values.map(([entityId, result]) => ({ entityId, result }));

async function judge(check: CheckInput, stored: StoredResult[], previousCount: number | null = null) {
  const [outcome] = await runChecks(checksSchema.parse([check]), pages(stored), previousCount);
  return outcome!;
}

const pick = (o: CheckOutcome) => [o.name, o.passed, o.failed, o.checked, o.message];

describe('result checks over streamed results', () => {
  const accounts = results([
    ['a1', { total: 10, owner: { email: 'x@e.com' } }],
    ['a2', { total: -3, owner: { email: 'y@e.com' } }],
    ['a3', { total: null, owner: { email: 'x@e.com' } }],
    ['a4', { owner: {} }],
    ['a5', { total: 'many', owner: { email: 'x@e.com' } }],
  ]);

  it('notNull: a field present and not null, by dotted path', async () => {
    expect(pick(await judge({ type: 'notNull', field: 'total' }, accounts))).toEqual([
      'notNull(total)',
      false,
      2,
      5,
      '2 of 5 results failed: a3: total is null; a4: total is missing',
    ]);
    expect(pick(await judge({ type: 'notNull', field: 'total' }, accounts.slice(0, 2)))).toEqual([
      'notNull(total)',
      true,
      0,
      2,
      '2 results passed',
    ]);
  });

  it('range: a number within min and max, inclusive; anything else fails with its value', async () => {
    const outcome = await judge({ type: 'range', field: 'total', min: 0, max: 10 }, accounts);
    expect(outcome.sample).toEqual([
      { entityId: 'a2', problem: 'total is -3, below 0' },
      { entityId: 'a3', problem: 'total is null, not a number' },
      { entityId: 'a4', problem: 'total is undefined, not a number' },
      { entityId: 'a5', problem: 'total is "many", not a number' },
    ]);
    expect(pick(await judge({ type: 'range', field: 'total', max: 10 }, accounts.slice(0, 2)))).toEqual([
      'range(total)',
      true,
      0,
      2,
      '2 results passed',
    ]);
    expect((await judge({ type: 'range', field: 'total', max: 9 }, accounts.slice(0, 1))).sample).toEqual([
      { entityId: 'a1', problem: 'total is 10, above 9' },
    ]);
  });

  it('unique: a field unique across entities, naming the entity that had the value first', async () => {
    const outcome = await judge({ type: 'unique', field: 'owner.email', severity: 'warn' }, accounts);
    expect(outcome).toMatchObject({ name: 'unique(owner.email)', severity: 'warn', passed: false, failed: 2 });
    expect(outcome.sample).toEqual([
      { entityId: 'a3', problem: 'owner.email "x@e.com" is also a1\'s' },
      { entityId: 'a5', problem: 'owner.email "x@e.com" is also a1\'s' },
    ]);
    expect((await judge({ type: 'unique', field: 'owner.email' }, accounts.slice(0, 2))).passed).toBe(true);
  });

  it("count: the number of results within a band of the previous date's", async () => {
    const ten = results(Array.from({ length: 10 }, (_, i) => [`e${i}`, { n: i }] as [string, unknown]));
    expect(pick(await judge({ type: 'count', within: 0.2 }, ten, 12))).toEqual([
      'count',
      true,
      0,
      10,
      '10 results; the previous date had 12 (allowed 10 to 14)',
    ]);
    expect(pick(await judge({ type: 'count', within: 0.2 }, ten, 100))).toEqual([
      'count',
      false,
      1,
      10,
      '10 results; the previous date had 100 (allowed 80 to 120)',
    ]);
    expect((await judge({ type: 'count', within: 0.2 }, ten, null)).message).toBe(
      '10 results; no previous date to compare with',
    );
  });

  it('custom: false or a message fails a result; a throwing check fails it with the error', async () => {
    const outcome = await judge(
      {
        type: 'custom',
        name: 'balanced',
        check: (result) => {
          const total = (result as { total?: unknown }).total;
          if (total === 'many') throw new Error('not a count');
          return typeof total !== 'number' ? false : total >= 0 || `negative total ${total}`;
        },
      },
      accounts,
    );
    expect(outcome.sample).toEqual([
      { entityId: 'a2', problem: 'negative total -3' },
      { entityId: 'a3', problem: 'failed' },
      { entityId: 'a4', problem: 'failed' },
      { entityId: 'a5', problem: 'the check threw: not a count' },
    ]);
  });

  it('quotes at most five offending entities and counts them all', async () => {
    const many = results(Array.from({ length: 12 }, (_, i) => [`e${i}`, { total: -i - 1 }] as [string, unknown]));
    const outcome = await judge({ type: 'range', field: 'total', min: 0 }, many);
    expect(outcome.failed).toBe(12);
    expect(outcome.sample.map((s) => s.entityId)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(outcome.message.endsWith('; ...')).toBe(true);
  });
});

describe('check definitions in getConfig()', () => {
  const config = (checks: unknown) => computationConfigSchema.safeParse({ name: 'Totals', type: 'per-entity', checks });

  it('names each mistake with its place', () => {
    const parsed = config([
      { type: 'range', field: 'total' },
      { type: 'between', field: 'total' },
      { type: 'custom', check: 1 },
      { type: 'notNull', field: 'total' },
      { type: 'notNull', field: 'total', severity: 'fatal' },
    ]);
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!)).toEqual([
      "field 'checks[0]' needs min, max or both",
      "field 'checks[1].type' must be a check: { type: 'notNull' | 'range' | 'count' | 'unique' | 'custom', ... }",
      "field 'checks[2].name' must be a string",
      "field 'checks[2].check' must be a function (result, entityId) => true | false | message",
      "field 'checks[4].severity' must be 'error' or 'warn'",
    ]);
    const repeated = config([
      { type: 'notNull', field: 'total' },
      { type: 'notNull', field: 'total', severity: 'warn' },
    ]);
    expect(describeIssues(repeated.error!)).toEqual([
      "field 'checks[1].name' repeats the check name 'notNull(total)'; give each check its own name",
    ]);
  });

  it('hashes definitions: a custom function by its code, not its formatting', () => {
    const hash = (checks: CheckInput[]) => checksHash(checksSchema.parse(checks));
    const base = hash([{ type: 'range', field: 'total', min: 0 }]);
    expect(hash([{ type: 'range', field: 'total', min: 0 }])).toBe(base);
    expect(hash([{ type: 'range', field: 'total', min: 1 }])).not.toBe(base);
    expect(hash([{ type: 'range', field: 'total', min: 0, severity: 'warn' }])).not.toBe(base);
    // prettier-ignore
    const spaced = hash([{ type: 'custom', name: 'c', check: (r) => (r as number) > 0 }]);
    // prettier-ignore
    const tight = hash([{ type: 'custom', name: 'c', check: (r) =>   (r as number)>0 }]);
    expect(tight).toBe(spaced);
    expect(hash([{ type: 'custom', name: 'c', check: (r) => (r as number) > 1 }])).not.toBe(spaced);
  });
});
