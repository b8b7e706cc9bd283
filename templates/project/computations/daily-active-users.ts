import { Computation, type ComputationContext } from 'computation-system';

interface Activity {
  loginsToday: number;
  level: string;
  country: string;
}

/** Global, once per date: the users active on the date, in total and by country, from UserActivity's results. */
export default class DailyActiveUsers extends Computation {
  static getConfig() {
    return {
      name: 'DailyActiveUsers',
      type: 'global' as const,
      dependencies: ['UserActivity'],
      schedule: { frequency: 'daily' as const, time: '02:00' },
    };
  }

  async process(ctx: ComputationContext) {
    // In a global computation a per-entity dependency gives every entity's result, keyed by entity id.
    const byUser = ctx.getDependency<Record<string, Activity>>('UserActivity') ?? {};
    const active = Object.values(byUser).filter((activity) => activity.loginsToday > 0);
    const byCountry: Record<string, number> = {};
    for (const activity of active) byCountry[activity.country] = (byCountry[activity.country] ?? 0) + 1;
    this.log('INFO', `${active.length} active users on ${ctx.date}`);
    return { activeUsers: active.length, byCountry };
  }
}
