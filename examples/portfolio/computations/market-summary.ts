import { Computation, type ComputationContext } from 'computation-system';
import { cents } from '../layers/money.ts';

/** Assets under management across all users: a global computation over per-entity results. */
export default class MarketSummary extends Computation {
  static getConfig() {
    return {
      name: 'MarketSummary',
      type: 'global' as const,
      dependencies: ['UserPortfolioValue', 'UserTradeSummary'],
    };
  }

  async process(ctx: ComputationContext) {
    const values = ctx.getDependency<Record<string, { value: number }>>('UserPortfolioValue') ?? {};
    const trading = ctx.getDependency<Record<string, { notional: number }>>('UserTradeSummary') ?? {};
    const aum = Object.values(values).reduce((sum, v) => sum + v.value, 0);
    const traded = Object.values(trading).reduce((sum, t) => sum + t.notional, 0);
    return {
      investors: Object.keys(values).length,
      activeTraders: Object.keys(trading).length,
      aum: cents(aum),
      traded: cents(traded),
    };
  }
}
