import { Computation, type ComputationContext } from 'computation-system';

interface UserRow {
  user_id: string;
  risk_profile: string;
}

/** Risk band per user, from the user dimension table and the portfolio value. */
export default class UserRiskScore extends Computation {
  static getConfig() {
    return {
      name: 'UserRiskScore',
      type: 'per-entity' as const,
      dependencies: ['UserPortfolioValue'],
      requires: { users: { dateField: null } },
      rules: ['risk'],
    };
  }

  async process(ctx: ComputationContext) {
    const portfolio = ctx.getDependency<{ value: number }>('UserPortfolioValue');
    const user = (ctx.data.users as unknown as UserRow[])[0];
    if (portfolio === null || user === undefined) return null;
    const risk = ctx.rules.risk as { riskBand(profile: string, value: number): string };
    return { band: risk.riskBand(user.risk_profile, portfolio.value), value: portfolio.value };
  }
}
