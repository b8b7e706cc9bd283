import { Computation, type ComputationContext } from 'computation-system';

/** Users per risk band and the share of assets each band holds. */
export default class RiskReport extends Computation {
  static getConfig() {
    return {
      name: 'RiskReport',
      type: 'global' as const,
      dependencies: ['UserRiskScore', 'MarketSummary'],
    };
  }

  async process(ctx: ComputationContext) {
    const scores = ctx.getDependency<Record<string, { band: string; value: number }>>('UserRiskScore') ?? {};
    const market = ctx.getDependency<{ aum: number }>('MarketSummary', '_global');
    const bands: Record<string, { users: number; share: number }> = {};
    for (const { band, value } of Object.values(scores)) {
      const entry = (bands[band] ??= { users: 0, share: 0 });
      entry.users += 1;
      entry.share += market !== null && market.aum > 0 ? value / market.aum : 0;
    }
    for (const entry of Object.values(bands)) entry.share = Math.round(entry.share * 1e4) / 1e4;
    return { bands };
  }
}
