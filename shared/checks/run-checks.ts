import type { StoredResult } from '../ports/warehouse.ts';
import { checkName, type Check } from '../model/check-schema.ts';

/** Offending entities quoted per failed check. */
export const CHECK_SAMPLE = 5;

/** What one check found on one computation-date's stored results. */
export interface CheckOutcome {
  name: string;
  type: Check['type'];
  severity: 'error' | 'warn';
  passed: boolean;
  /** Results the check looked at. */
  checked: number;
  /** Results that failed it (a failed count check: 1). */
  failed: number;
  /** The first offending entities, with what was wrong. */
  sample: Array<{ entityId: string; problem: string }>;
  /** One line a person reads: what passed, or what failed and where. */
  message: string;
}

/** The check outcomes of a computation-date, kept in its state. */
export interface CheckRecord {
  /** Hash of the check definitions that judged these results (the `checks` hash component). */
  hash: string;
  /** The results judged, also when a failed error check left the state without a usable result hash. */
  resultHash: string;
  outcomes: CheckOutcome[];
}

/** The value at a dotted path of a result; undefined when any step is missing. */
function valueAt(result: unknown, path: string): unknown {
  let value = result;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One check's judging state while results stream by. */
interface Judge {
  check: Check;
  checked: number;
  failed: number;
  sample: Array<{ entityId: string; problem: string }>;
  /** unique: each value seen (as JSON) -> the first entity that had it. */
  seen?: Map<string, string>;
}

/** What is wrong with one result for one check, or null. */
function problemWith(judge: Judge, entityId: string, result: unknown): string | null {
  const check = judge.check;
  switch (check.type) {
    case 'notNull': {
      const value = valueAt(result, check.field);
      if (value === undefined) return `${check.field} is missing`;
      return value === null ? `${check.field} is null` : null;
    }
    case 'range': {
      const value = valueAt(result, check.field);
      if (typeof value !== 'number') return `${check.field} is ${shown(value)}, not a number`;
      if (check.min !== undefined && value < check.min) return `${check.field} is ${value}, below ${check.min}`;
      if (check.max !== undefined && value > check.max) return `${check.field} is ${value}, above ${check.max}`;
      return null;
    }
    case 'unique': {
      const value = valueAt(result, check.field);
      if (value === undefined || value === null) return null;
      const key = JSON.stringify(value);
      const first = judge.seen!.get(key);
      if (first === undefined) {
        judge.seen!.set(key, entityId);
        return null;
      }
      return `${check.field} ${shown(value)} is also ${first}'s`;
    }
    case 'custom': {
      let verdict: unknown;
      try {
        verdict = check.check(result, entityId);
      } catch (error) {
        return `the check threw: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (verdict === true || verdict === undefined) return null;
      return typeof verdict === 'string' ? verdict : 'failed';
    }
    case 'count':
      return null;
  }
}

function outcomeOf(judge: Judge, stored: number, previousCount: number | null): CheckOutcome {
  const check = judge.check;
  const base = { name: checkName(check), type: check.type, severity: check.severity } as const;
  if (check.type === 'count') {
    if (previousCount === null)
      return {
        ...base,
        passed: true,
        checked: stored,
        failed: 0,
        sample: [],
        message: `${stored} results; no previous date to compare with`,
      };
    const low = Math.ceil(previousCount * (1 - check.within));
    const high = Math.floor(previousCount * (1 + check.within));
    const passed = stored >= low && stored <= high;
    return {
      ...base,
      passed,
      checked: stored,
      failed: passed ? 0 : 1,
      sample: [],
      message: `${stored} results; the previous date had ${previousCount} (allowed ${low} to ${high})`,
    };
  }
  const passed = judge.failed === 0;
  return {
    ...base,
    passed,
    checked: judge.checked,
    failed: judge.failed,
    sample: judge.sample,
    message: passed
      ? `${judge.checked} results passed`
      : `${judge.failed} of ${judge.checked} results failed: ${judge.sample.map((s) => `${s.entityId}: ${s.problem}`).join('; ')}${judge.failed > judge.sample.length ? '; ...' : ''}`,
  };
}

/**
 * Runs every check over one computation-date's stored results as they
 * stream by, page after page: memory holds one page, the samples and, for
 * a unique check, the values seen. `previousCount` is the number of results
 * stored on the previous due date (null when there is none), for count checks.
 */
export async function runChecks(
  checks: readonly Check[],
  results: AsyncIterable<StoredResult[]>,
  previousCount: number | null,
): Promise<CheckOutcome[]> {
  const judges: Judge[] = checks.map((check) => ({
    check,
    checked: 0,
    failed: 0,
    sample: [],
    ...(check.type === 'unique' ? { seen: new Map<string, string>() } : {}),
  }));
  const perResult = judges.filter((judge) => judge.check.type !== 'count');
  let stored = 0;
  for await (const page of results) {
    stored += page.length;
    for (const { entityId, result } of page) {
      for (const judge of perResult) {
        judge.checked++;
        const problem = problemWith(judge, entityId, result);
        if (problem === null) continue;
        judge.failed++;
        if (judge.sample.length < CHECK_SAMPLE) judge.sample.push({ entityId, problem });
      }
    }
  }
  return judges.map((judge) => outcomeOf(judge, stored, previousCount));
}

/** The text of the failed checks of a severity, for a state's error or reason; null when none failed. */
export function failedChecksText(outcomes: readonly CheckOutcome[], severity: 'error' | 'warn'): string | null {
  const failed = outcomes.filter((o) => !o.passed && o.severity === severity);
  if (failed.length === 0) return null;
  const label = severity === 'error' ? 'check' : 'warning check';
  return failed.map((o) => `${label} '${o.name}' failed: ${o.message}`).join('; ');
}
