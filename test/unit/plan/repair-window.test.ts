import { describe, expect, it } from 'vitest';
import { repairWindow } from '../../../shared/plan/repair.ts';

describe('the repair window', () => {
  it('is the repairDays dates before the first date, oldest first', () => {
    expect(repairWindow(['2026-03-02', '2026-03-03'], 3)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });

  it('is empty when turned off, and stops at the first date of the calendar', () => {
    expect(repairWindow(['2026-03-02'], 0)).toEqual([]);
    expect(repairWindow(['0001-01-01'], 7)).toEqual([]);
    expect(repairWindow(['0001-01-03'], 3660)).toEqual(['0001-01-01', '0001-01-02']);
    expect(repairWindow(['9999-12-31'], 2)).toEqual(['9999-12-29', '9999-12-30']);
  });
});
