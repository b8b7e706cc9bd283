import { Computation, type ComputationContext } from 'computation-system';
import { cents } from '../layers/money.ts';

interface TradeRow {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
}

/** Trades a user made on the day: count and traded notional. */
export default class UserTradeSummary extends Computation {
  static getConfig() {
    return {
      name: 'UserTradeSummary',
      type: 'per-entity' as const,
      requires: { trades: { lookback: 0 } },
    };
  }

  async process(ctx: ComputationContext) {
    const trades = ctx.data.trades as unknown as TradeRow[];
    if (trades.length === 0) return null;
    const notional = trades.reduce((sum, t) => sum + t.quantity * t.price, 0);
    return { trades: trades.length, notional: cents(notional) };
  }
}
