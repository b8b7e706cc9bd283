import { Computation, type ComputationContext } from 'computation-system';

/** Consecutive days up to today on which the user traded, and trades over the last 7 days. */
export default class UserActivityStreak extends Computation {
  static getConfig() {
    return {
      name: 'UserActivityStreak',
      type: 'per-entity' as const,
      isHistorical: true,
      requires: { trades: { lookback: 6 } },
    };
  }

  async process(ctx: ComputationContext) {
    const trades = ctx.data.trades as unknown as Array<{ date: string }>;
    const tradedToday = trades.some((t) => t.date === ctx.date);
    const previous = (ctx.previousResult as { streak: number } | null)?.streak ?? 0;
    const streak = tradedToday ? previous + 1 : 0;
    if (streak === 0 && trades.length === 0) return null;
    return { streak, tradesLast7Days: trades.length };
  }
}
