import { Computation, type ComputationContext } from 'computation-system';

interface PriceRow {
  date: string;
  symbol: string;
  close: number;
}

/** Closing price of every symbol and its change since the previous day. */
export default class DailyPrices extends Computation {
  static getConfig() {
    return {
      name: 'DailyPrices',
      type: 'global' as const,
      requires: { prices: { lookback: 1, mandatory: true, entityField: 'symbol' } },
    };
  }

  async process(ctx: ComputationContext) {
    const rows = ctx.data.prices as unknown as PriceRow[];
    const today: Record<string, { close: number; change: number | null }> = {};
    const yesterday = new Map<string, number>();
    for (const row of rows) if (row.date < ctx.date) yesterday.set(row.symbol, row.close);
    for (const row of rows) {
      if (row.date !== ctx.date) continue;
      const before = yesterday.get(row.symbol);
      today[row.symbol] = {
        close: row.close,
        change: before === undefined ? null : Math.round(((row.close - before) / before) * 1e6) / 1e6,
      };
    }
    return { symbols: today };
  }
}
