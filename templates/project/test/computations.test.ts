// Unit tests of the computations, without a warehouse: `npm test`.
// testComputation runs process() once with the rows, dependencies and rules
// you give, and resolves to what the system would store for that entity and date.
import { describe, expect, it } from 'vitest';
import { testComputation, type TestLogLine } from 'computation-system/testing';
import UserActivity from '../computations/user-activity.ts';
import DailyActiveUsers from '../computations/daily-active-users.ts';
import * as activity from '../rules/activity.ts';

describe('UserActivity', () => {
  it('counts the logins of the date and the active days of the week, with the level from the rule', async () => {
    const result = await testComputation(UserActivity, {
      date: '2026-01-05',
      entityId: 'u1',
      data: {
        user_logins: [
          { entity_id: 'u1', date: '2026-01-02', device: 'web' },
          { entity_id: 'u1', date: '2026-01-03', device: 'web' },
          { entity_id: 'u1', date: '2026-01-04', device: 'ios' },
          { entity_id: 'u1', date: '2026-01-05', device: 'web' },
          { entity_id: 'u1', date: '2026-01-05', device: 'ios' },
        ],
        users: [{ entity_id: 'u1', country: 'DE' }],
      },
      rules: { activity },
    });
    expect(result).toEqual({ loginsToday: 2, activeDays: 4, level: 'regular', devices: ['ios', 'web'], country: 'DE' });
  });
});

describe('DailyActiveUsers', () => {
  it('counts the users active on the date by country, from every user’s UserActivity result', async () => {
    const logs: TestLogLine[] = [];
    const result = await testComputation(DailyActiveUsers, {
      date: '2026-01-05',
      data: {},
      // A per-entity dependency read by a global computation: entity id -> result.
      dependencies: {
        UserActivity: {
          u1: { loginsToday: 2, level: 'regular', country: 'DE' },
          u2: { loginsToday: 0, level: 'occasional', country: 'FR' },
          u3: { loginsToday: 1, level: 'occasional', country: 'DE' },
        },
      },
      logs,
    });
    expect(result).toEqual({ activeUsers: 2, byCountry: { DE: 2 } });
    expect(logs.map((line) => line.message)).toEqual(['2 active users on 2026-01-05']);
  });
});
