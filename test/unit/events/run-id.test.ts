import { describe, expect, it } from 'vitest';
import { isRunId, runIdFor } from '../../../shared/events/run-id.ts';
import { fieldsFromJson, jsonField, parseRunRequest } from '../../../shared/events/run-request.ts';

const NOW = new Date('2026-01-27T03:04:05.678Z');
const request = (fields: Record<string, unknown>) => {
  const parsed = parseRunRequest(fieldsFromJson(fields), { now: NOW, maxRunDays: 10, field: jsonField });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.request;
};

describe('one rule for run ids, whichever source', () => {
  it('keeps the id a request names, from any source', () => {
    const named = request({ date: '2026-01-26', runId: 'backfill-jan' });
    for (const origin of [{ via: 'message', messageId: '42' }, { via: 'cli' }, { via: 'api' }] as const)
      expect(runIdFor(named, origin, NOW)).toBe('backfill-jan');
  });

  it('names a scheduled message by its schedule and resolved date, whatever its message id', () => {
    const scheduled = request({ date: 'yesterday', schedule: '02:00' });
    expect(runIdFor(scheduled, { via: 'message', messageId: '1' }, NOW)).toBe('scheduled-0200-2026-01-26');
    expect(runIdFor(scheduled, { via: 'message', messageId: '2' }, NOW)).toBe('scheduled-0200-2026-01-26');
  });

  it('names other messages by their message id, and each CLI or API call anew', () => {
    const plain = request({ date: '2026-01-26', to: '2026-01-27', computation: 'A,B' });
    expect(runIdFor(plain, { via: 'message', messageId: '1234' }, NOW)).toBe('run-1234');
    const cli = runIdFor(plain, { via: 'cli' }, NOW);
    expect(cli).toMatch(/^run-20260127T030405-[0-9a-f]{6}$/);
    expect(runIdFor(plain, { via: 'cli' }, NOW)).not.toBe(cli);
    expect(runIdFor(plain, { via: 'api' }, NOW)).toMatch(/^run-api-20260127T030405-[0-9a-f]{6}$/);
    // A run of a schedule started by hand is not taken for the scheduler's run of that date.
    expect(runIdFor(request({ date: '2026-01-26', schedule: '02:00' }), { via: 'cli' }, NOW)).toMatch(/^run-2026/);
    for (const id of [cli, runIdFor(plain, { via: 'api' }, NOW)]) expect(isRunId(id)).toBe(true);
  });

  it('reads computation names from a JSON body the same whether given as a string, a list or `computations`', () => {
    expect(request({ date: '2026-01-26', computation: 'A,B' }).computations).toEqual(['A', 'B']);
    expect(request({ date: '2026-01-26', computation: ['A', 'B,C'] }).computations).toEqual(['A', 'B', 'C']);
    expect(request({ date: '2026-01-26', computations: ['B'] }).computations).toEqual(['B']);
    expect(request({ date: '2026-01-26' }).computations).toBeNull();
  });
});
