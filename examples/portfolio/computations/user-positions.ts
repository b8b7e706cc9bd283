import { Computation, type ComputationContext } from 'computation-system';

interface TradeRow {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
}

type Positions = Record<string, number>;

/** Shares held per symbol at the end of the day: yesterday's holdings plus today's trades. */
export default class UserPositions extends Computation {
  static getConfig() {
    return {
      name: 'UserPositions',
      type: 'per-entity' as const,
      isHistorical: true,
      requires: { trades: { lookback: 0 } },
    };
  }

  async process(ctx: ComputationContext) {
    const previous = (ctx.previousResult as { positions: Positions } | null)?.positions ?? {};
    const positions: Positions = { ...previous };
    for (const trade of ctx.data.trades as unknown as TradeRow[]) {
      const signed = trade.side === 'buy' ? trade.quantity : -trade.quantity;
      positions[trade.symbol] = (positions[trade.symbol] ?? 0) + signed;
      if (positions[trade.symbol] === 0) delete positions[trade.symbol];
    }
    if (Object.keys(positions).length === 0) return null;
    return { positions: Object.fromEntries(Object.entries(positions).sort(([a], [b]) => a.localeCompare(b))) };
  }
}
