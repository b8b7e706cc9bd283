import { Computation, type ComputationContext } from 'computation-system';
import { cents } from '../layers/money.ts';

/** Market value of a user's positions at the day's closing prices. */
export default class UserPortfolioValue extends Computation {
  static getConfig() {
    return {
      name: 'UserPortfolioValue',
      type: 'per-entity' as const,
      dependencies: ['UserPositions', 'DailyPrices'],
    };
  }

  async process(ctx: ComputationContext) {
    const holdings = ctx.getDependency<{ positions: Record<string, number> }>('UserPositions');
    const prices = ctx.getDependency<{ symbols: Record<string, { close: number }> }>('DailyPrices', '_global');
    if (holdings === null || prices === null) return null;
    let value = 0;
    for (const [symbol, quantity] of Object.entries(holdings.positions)) {
      const price = prices.symbols[symbol];
      if (price === undefined) throw new Error(`no closing price for ${symbol} on ${ctx.date}`);
      value += quantity * price.close;
    }
    return { value: cents(value), symbols: Object.keys(holdings.positions).length };
  }
}
