import { Computation, type ComputationContext } from 'computation-system';

interface Login {
  entity_id: string;
  date: string;
  device: string;
}

/**
 * Per entity (one user) per date: logins on the date and over the last
 * seven days, the devices used, and an activity level from the rule module.
 */
export default class UserActivity extends Computation {
  static getConfig() {
    return {
      name: 'UserActivity',
      type: 'per-entity' as const,
      requires: {
        // Today and the six days before; no rows in the window makes the computation 'impossible'.
        user_logins: { lookback: 6, mandatory: true },
        // A dimension table: read whole, no date filter.
        users: { dateField: null },
      },
      rules: ['activity'],
      schedule: { frequency: 'daily' as const, time: '02:00' },
    };
  }

  async process(ctx: ComputationContext) {
    const logins = ctx.data.user_logins as Login[];
    const today = logins.filter((row) => row.date === ctx.date);
    const activeDays = new Set(logins.map((row) => row.date)).size;
    const { levelOf } = ctx.rules.activity as { levelOf: (days: number) => string };
    const country = (ctx.data.users[0]?.country as string | undefined) ?? 'unknown';
    return {
      loginsToday: today.length,
      activeDays,
      level: levelOf(activeDays),
      devices: [...new Set(today.map((row) => row.device))].sort(),
      country,
    };
  }
}
