import { describe, expect, it } from 'vitest';
import { Computation, type ComputationContext } from '../../../shared/index.ts';
import {
  ComputationTestError,
  TestInputError,
  testComputation,
  type TestLogLine,
} from '../../../shared/testing/index.ts';

/** The rule module of the scaffold, as a test passes it: its exports. */
const activity = { levelOf: (days: number) => (days >= 4 ? 'regular' : days > 0 ? 'occasional' : 'inactive') };

/** Per entity: the scaffold's UserActivity (templates/project/computations/user-activity.ts). */
class UserActivity extends Computation {
  static getConfig() {
    return {
      name: 'UserActivity',
      type: 'per-entity' as const,
      requires: { user_logins: { lookback: 6, mandatory: true }, users: { dateField: null } },
      rules: ['activity'],
    };
  }

  process(ctx: ComputationContext) {
    const logins = ctx.data.user_logins ?? [];
    const today = logins.filter((row) => row.date === ctx.date);
    const activeDays = new Set(logins.map((row) => row.date)).size;
    const { levelOf } = ctx.rules.activity as typeof activity;
    return {
      loginsToday: today.length,
      activeDays,
      level: levelOf(activeDays),
      devices: [...new Set(today.map((row) => row.device as string))].sort(),
      country: (ctx.data.users?.[0]?.country as string | undefined) ?? 'unknown',
    };
  }
}

/** Global, over a per-entity dependency: the scaffold's DailyActiveUsers. */
class DailyActiveUsers extends Computation {
  static getConfig() {
    return { name: 'DailyActiveUsers', type: 'global' as const, dependencies: ['UserActivity'] };
  }

  process(ctx: ComputationContext) {
    const byUser = ctx.getDependency<Record<string, { loginsToday: number; country: string }>>('UserActivity') ?? {};
    const active = Object.values(byUser).filter((a) => a.loginsToday > 0);
    const byCountry: Record<string, number> = {};
    for (const a of active) byCountry[a.country] = (byCountry[a.country] ?? 0) + 1;
    this.log('INFO', `${active.length} active users on ${ctx.date}`);
    return { activeUsers: active.length, byCountry };
  }
}

/** A running balance per account: yesterday's balance plus today's amounts. */
class Balance extends Computation {
  static getConfig() {
    return {
      name: 'Balance',
      type: 'per-entity' as const,
      requires: { payments: { mandatory: true } },
      isHistorical: true,
    };
  }

  process(ctx: ComputationContext) {
    const previous = (ctx.previousResult as { balance: number } | null)?.balance ?? 0;
    const today = (ctx.data.payments ?? []).reduce((sum, row) => sum + (row.amount as number), 0);
    this.log('INFO', `balance of ${ctx.entityId}`, { previous, today });
    return { balance: previous + today, at: new Date(`${ctx.date}T00:00:00Z`), note: undefined };
  }
}

/** Returns whatever the test puts in its one row's `value`, to exercise the value rules. */
class Echo extends Computation {
  static getConfig() {
    return { name: 'Echo', type: 'global' as const, requires: { input: { dateField: null } } };
  }

  process(ctx: ComputationContext) {
    const value = ctx.data.input?.[0]?.value;
    if (value === 'throw') throw new Error('no value to echo');
    return value === 'nested' ? { a: { b: [1, Number.NaN] } } : value;
  }
}

/** A global computation reading a global dependency, explicitly by '_global' and plainly. */
class Share extends Computation {
  static getConfig() {
    return { name: 'Share', type: 'global' as const, dependencies: ['Totals', 'Settings'] };
  }

  process(ctx: ComputationContext) {
    const settings = ctx.getDependency<{ currency: string }>('Settings', '_global');
    const totals = ctx.getDependency<Record<string, number>>('Totals') ?? {};
    const u2 = ctx.getDependency<number>('Totals', 'u2');
    return { currency: settings?.currency, users: Object.keys(totals).length, u2 };
  }
}

const rows = (entity: string, dates: Array<[string, string]>) =>
  dates.map(([date, device]) => ({ entity_id: entity, date, device }));

describe('testComputation', () => {
  it('runs a per-entity computation with its rows and rule, and resolves to the stored result', async () => {
    const result = await testComputation(UserActivity, {
      date: '2026-01-05',
      entityId: 'u1',
      data: {
        user_logins: rows('u1', [
          ['2026-01-01', 'web'],
          ['2026-01-03', 'web'],
          ['2026-01-04', 'ios'],
          ['2026-01-05', 'web'],
          ['2026-01-05', 'ios'],
        ]),
        users: [{ entity_id: 'u1', country: 'DE' }],
      },
      rules: { activity },
    });
    expect(result).toEqual({ loginsToday: 2, activeDays: 4, level: 'regular', devices: ['ios', 'web'], country: 'DE' });
  });

  it('gives a required table left out of data as an empty array', async () => {
    const result = await testComputation(UserActivity, {
      date: '2026-01-05',
      entityId: 'u9',
      data: { user_logins: [] },
      rules: { activity },
    });
    expect(result).toEqual({ loginsToday: 0, activeDays: 0, level: 'inactive', devices: [], country: 'unknown' });
  });

  it('runs a global computation over a per-entity dependency given as entity id -> result, and captures this.log', async () => {
    const logs: TestLogLine[] = [];
    const result = await testComputation(DailyActiveUsers, {
      date: '2026-01-05',
      data: {},
      dependencies: {
        UserActivity: {
          u1: { loginsToday: 2, level: 'regular', country: 'DE' },
          u2: { loginsToday: 1, level: 'occasional', country: 'FR' },
          u3: { loginsToday: 0, level: 'occasional', country: 'FR' },
        },
      },
      logs,
    });
    expect(result).toEqual({ activeUsers: 2, byCountry: { DE: 1, FR: 1 } });
    expect(logs).toEqual([{ level: 'INFO', message: '2 active users on 2026-01-05', fields: {} }]);
  });

  it('reads a dependency as a global result by name or by _global, and per entity by id', async () => {
    const result = await testComputation(Share, {
      date: '2026-01-05',
      data: {},
      dependencies: { Settings: { currency: 'EUR' }, Totals: { u1: 10, u2: 20, u3: 5 } },
    });
    expect(result).toEqual({ currency: 'EUR', users: 3, u2: 20 });
  });

  it('runs a historical computation on the previous result, stores a Date as its ISO string and leaves undefined out', async () => {
    const logs: TestLogLine[] = [];
    const first = await testComputation(Balance, {
      date: '2026-01-05',
      entityId: 'acct-1',
      data: { payments: [{ amount: 30 }, { amount: 12 }] },
      logs,
    });
    expect(first).toEqual({ balance: 42, at: '2026-01-05T00:00:00.000Z' });
    expect(Object.keys(first!)).toEqual(['balance', 'at']);
    const second = await testComputation(Balance, {
      date: '2026-01-06',
      entityId: 'acct-1',
      data: { payments: [{ amount: -2 }] },
      previousResult: first,
      logs,
    });
    expect(second).toEqual({ balance: 40, at: '2026-01-06T00:00:00.000Z' });
    expect(logs.map((line) => line.fields)).toEqual([
      { previous: 0, today: 42 },
      { previous: 42, today: -2 },
    ]);
  });

  it('resolves to null when process() returns null or undefined: nothing is stored', async () => {
    expect(await testComputation(Echo, { date: '2026-01-05', data: { input: [{ value: null }] } })).toBeNull();
    expect(await testComputation(Echo, { date: '2026-01-05', data: { input: [] } })).toBeNull();
  });

  it('rejects a value JSON cannot hold with the entity error naming its path', async () => {
    const run = (value: unknown) => testComputation(Echo, { date: '2026-01-05', data: { input: [{ value }] } });
    await expect(run(Number.NaN)).rejects.toThrow('Echo on 2026-01-05: result is NaN');
    await expect(run('nested')).rejects.toThrow('Echo on 2026-01-05: result.a.b[1] is NaN');
    await expect(run(10n)).rejects.toThrow('result is a BigInt');
    await expect(run(Infinity)).rejects.toThrow('result is Infinity');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(run(cyclic)).rejects.toThrow('result.self is a cyclic reference');
    await expect(run(() => 1)).rejects.toThrow('result is a function');
    const error = await run(Number.NaN).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ComputationTestError);
    expect((error as ComputationTestError).entityError).toBe('result is NaN');
  });

  it('rejects when process() throws, with the entity and date, and keeps the thrown error as cause', async () => {
    const error = (await testComputation(Echo, { date: '2026-01-05', data: { input: [{ value: 'throw' }] } }).catch(
      (caught: unknown) => caught,
    )) as ComputationTestError;
    expect(error.message).toBe('Echo on 2026-01-05: no value to echo');
    expect((error.cause as Error).message).toBe('no value to echo');
  });

  it('names what is wrong in the test input itself: entity, date, unknown table, dependency and rule', async () => {
    await expect(
      testComputation(UserActivity, { date: '2026-01-05', data: { user_logins: [] }, rules: { activity } }),
    ).rejects.toThrow("UserActivity is per-entity: give the entity as entityId (e.g. entityId: 'u1')");
    const wrong = await testComputation(UserActivity, {
      date: '2026-1-5',
      entityId: 'u1',
      data: { user_login: [] },
      dependencies: { Other: 1 },
      rules: {},
    }).catch((caught: unknown) => caught);
    expect(wrong).toBeInstanceOf(TestInputError);
    const message = (wrong as Error).message;
    expect(message).toContain('date is "2026-1-5"; give a calendar date as YYYY-MM-DD');
    expect(message).toContain(
      "data.user_login: UserActivity does not require 'user_login' (requires: user_logins, users). Did you mean 'user_logins'?",
    );
    expect(message).toContain("dependencies.Other: not in UserActivity's dependencies (none).");
    expect(message).toContain('rules.activity: UserActivity lists it; give its exports');
    await expect(testComputation(DailyActiveUsers, { date: '2026-01-05', entityId: 'u1', data: {} })).rejects.toThrow(
      'DailyActiveUsers is global: it runs once per date, leave entityId out',
    );
    await expect(
      testComputation(DailyActiveUsers, { date: '2026-01-05', data: {}, previousResult: { activeUsers: 1 } }),
    ).rejects.toThrow('previousResult: DailyActiveUsers is not isHistorical');
  });

  it('asks for a declared dependency the test did not give as the system would: null', async () => {
    const result = await testComputation(DailyActiveUsers, { date: '2026-01-05', data: {} });
    expect(result).toEqual({ activeUsers: 0, byCountry: {} });
  });

  it('refuses a class whose config the system would refuse', async () => {
    class Bad extends Computation {
      static getConfig() {
        return { name: 'Bad', type: 'daily' };
      }
      process() {
        return 1;
      }
    }
    await expect(testComputation(Bad, { date: '2026-01-05', data: {} })).rejects.toThrow(
      "testComputation: Bad.getConfig() is invalid: field 'type' must be 'per-entity' or 'global'",
    );
  });
});
