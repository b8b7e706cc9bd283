import { describe, expect, it } from 'vitest';
import { readPushRequest } from '../../../shared/http/push-message.ts';
import { scheduleSchema } from '../../../shared/model/config-schema.ts';
import { scheduleProblems } from '../../../shared/schedule/check.ts';
import { isDue, notDueReason } from '../../../shared/schedule/due.ts';
import { resolveRunDate, runDateProblem } from '../../../shared/util/relative-date.ts';
import { describeIssues } from '../../../shared/util/zod-problems.ts';

const schedule = (input: Record<string, unknown>) => scheduleSchema.parse(input);

describe('relative dates', () => {
  it('resolves yesterday, today and today-N in UTC', () => {
    const now = new Date('2026-03-01T00:00:00.500Z');
    expect(resolveRunDate('today', now)).toBe('2026-03-01');
    expect(resolveRunDate('yesterday', now)).toBe('2026-02-28');
    expect(resolveRunDate('today-1', now)).toBe('2026-02-28');
    expect(resolveRunDate('today-0', now)).toBe('2026-03-01');
    expect(resolveRunDate('today-366', new Date('2025-01-01T12:00:00Z'))).toBe('2024-01-01');
    expect(resolveRunDate('2026-01-26', now)).toBe('2026-01-26');
  });

  it('is UTC, not the local time zone: 23:30 in New York on Jan 1 is already Jan 2', () => {
    // 2026-01-02T04:30Z is 23:30 on January 1st in New York.
    expect(resolveRunDate('yesterday', new Date('2026-01-02T04:30:00Z'))).toBe('2026-01-01');
  });

  it('names what is wrong with a bad date', () => {
    expect(runDateProblem('2026-02-30')).toBe("'2026-02-30' is not a calendar date");
    expect(runDateProblem('yesterdy')).toContain("'yesterdy' is not a date as YYYY-MM-DD, or 'today', 'yesterday'");
    expect(runDateProblem('today-99999')).toContain("'today-99999' is not");
    expect(runDateProblem('today-4000')).toBe("'today-4000' reaches back more than 3660 days");
    expect(runDateProblem('today+1')).not.toBeNull();
  });
});

describe('a scheduled message resolves its date against the publish time', () => {
  const push = (data: unknown, publishTime: string, messageId = 'sched-1') => ({
    message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), messageId, publishTime },
    subscription: 'projects/p/subscriptions/compute-runs-to-planner',
  });

  it('published a hair before midnight UTC, delivered after it: yesterday is still the day before the publish', () => {
    const { event } = readPushRequest({}, push({ date: 'yesterday', schedule: '02:00' }, '2026-03-01T23:59:59.900Z'));
    expect(event).toEqual({
      v: 1,
      type: 'run.requested',
      // Named by its schedule and date, not the message id: a double-delivered schedule starts one run.
      runId: 'scheduled-0200-2026-02-28',
      dates: ['2026-02-28'],
      computations: null,
      force: false,
      // A scheduled run also repairs the dates before it (repairDays).
      repair: true,
      trigger: 'scheduler',
      schedule: '02:00',
    });
  });

  it('published just after midnight: yesterday is the day that just ended', () => {
    const { event } = readPushRequest({}, push({ date: 'yesterday', schedule: '00:00' }, '2026-03-02T00:00:00.050Z'));
    expect(event.type === 'run.requested' && event.dates).toEqual(['2026-03-01']);
  });

  it('an Eventarc delivery carries the publish time the same way', () => {
    const headers = {
      'ce-id': 'e-1',
      'ce-source': '//pubsub.googleapis.com/projects/p/topics/compute-runs',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'content-type': 'application/json',
    };
    const { event } = readPushRequest(headers, push({ date: 'today-7', to: 'yesterday' }, '2026-01-08T02:00:00Z'));
    expect(event.type === 'run.requested' && [event.dates[0], event.dates.at(-1), event.trigger]).toEqual([
      '2026-01-01',
      '2026-01-07',
      'manual',
    ]);
  });

  it('refuses a scheduled message with a bad time or date as poison, naming the field and the form', () => {
    expect(() => readPushRequest({}, push({ date: 'yesterday', schedule: '2:00' }, '2026-01-08T02:00:00Z'))).toThrow(
      "Invalid run message (message sched-1): field 'schedule' must be the schedule's time of day as 'HH:MM' (UTC), e.g. '02:00'",
    );
    expect(() => readPushRequest({}, push({ date: 'yesterdy', schedule: '02:00' }, '2026-01-08T02:00:00Z'))).toThrow(
      "Invalid run message (message sched-1): field 'date' must be a date as YYYY-MM-DD, or 'today', 'yesterday' or 'today-N' (UTC); got 'yesterdy'",
    );
  });

  it('refuses a scheduled message over a range as poison, saying why', () => {
    expect(() =>
      readPushRequest({}, push({ date: 'today-7', to: 'yesterday', schedule: '02:00' }, '2026-01-08T02:00:00Z')),
    ).toThrow(
      "Invalid run message (message sched-1): a scheduled run covers one date: drop field 'to' or field 'schedule' (got 2026-01-01 to 2026-01-07)",
    );
  });
});

describe('when a computation is due', () => {
  it('weekly: on its weekday only (default monday)', () => {
    const weekly = schedule({ frequency: 'weekly' });
    expect(weekly.day).toBe('monday');
    const week = ['2026-01-25', '2026-01-26', '2026-01-27', '2026-01-28', '2026-01-29', '2026-01-30', '2026-01-31'];
    expect(week.filter((d) => isDue(weekly, d))).toEqual(['2026-01-26']);
    expect(week.filter((d) => isDue(schedule({ frequency: 'weekly', day: 'friday' }), d))).toEqual(['2026-01-30']);
    expect(notDueReason(weekly, '2026-01-27')).toBe(
      'not due on 2026-01-27 (a tuesday): scheduled weekly on mondays at 02:00 UTC',
    );
  });

  it('monthly: on its day of the month (default 1), daily: always', () => {
    const monthly = schedule({ frequency: 'monthly', day: 15, time: '06:30' });
    expect(['2026-01-14', '2026-01-15', '2026-02-15', '2026-02-16'].filter((d) => isDue(monthly, d))).toEqual([
      '2026-01-15',
      '2026-02-15',
    ]);
    expect(isDue(schedule({ frequency: 'monthly' }), '2026-03-01')).toBe(true);
    expect(isDue(schedule({}), '2026-03-01')).toBe(true);
  });

  it.each([
    [{ frequency: 'daily', day: 'monday' }, "field 'day' a daily schedule takes no day"],
    [{ frequency: 'weekly', day: 3 }, "field 'day' must be a lowercase weekday name such as 'monday' for a weekly"],
    [{ frequency: 'weekly', day: 'Monday' }, "field 'day' must be a lowercase weekday name"],
    [{ frequency: 'monthly', day: 31 }, 'a day of the month from 1 to 28'],
    [{ frequency: 'monthly', day: 'monday' }, 'must be a day of the month from 1 to 28 for a monthly schedule'],
  ])('refuses %j', (input, text) => {
    const result = scheduleSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!).join('\n')).toContain(text);
  });
});

describe('schedules that cannot work together', () => {
  const c = (name: string, s: Record<string, unknown>, dependencies: string[] = []) => ({
    name,
    schedule: schedule(s),
    dependencies,
  });

  it('refuses a computation scheduled more often than a dependency, naming both', () => {
    const problems = scheduleProblems([
      c('WeeklyRollup', { frequency: 'weekly' }),
      c('DailyReport', {}, ['WeeklyRollup']),
    ]);
    expect(problems.map((p) => [p.code, p.computation])).toEqual([
      ['SCHEDULE_MORE_OFTEN_THAN_DEPENDENCY', 'DailyReport'],
    ]);
    expect(problems[0]!.message).toContain(
      "computation 'DailyReport' is scheduled daily at 02:00 UTC, more often than (or on other days than) its dependency 'WeeklyRollup', scheduled weekly on mondays at 02:00 UTC",
    );
  });

  it('refuses other days at the same frequency, and weekly after monthly', () => {
    const problems = scheduleProblems([
      c('Mon', { frequency: 'weekly', day: 'monday' }),
      c('Tue', { frequency: 'weekly', day: 'tuesday' }, ['Mon']),
      c('First', { frequency: 'monthly' }),
      c('Weekly', { frequency: 'weekly' }, ['First']),
    ]);
    expect(problems.map((p) => p.computation)).toEqual(['Tue', 'Weekly']);
  });

  it('refuses a computation whose run starts earlier on the same day than its dependency', () => {
    const problems = scheduleProblems([c('Late', { time: '03:00' }), c('Early', { time: '02:00' }, ['Late'])]);
    expect(problems.map((p) => p.code)).toEqual(['SCHEDULE_BEFORE_DEPENDENCY']);
    expect(problems[0]!.message).toContain(
      "computation 'Early' is scheduled at 02:00 UTC, earlier on the same day than its dependency 'Late' at 03:00 UTC",
    );
  });

  it('accepts less often, on the dependency days, at the same time or later', () => {
    expect(
      scheduleProblems([
        c('Daily', { time: '01:00' }),
        c('Weekly', { frequency: 'weekly', time: '01:00' }, ['Daily']),
        c('WeeklyLater', { frequency: 'weekly', time: '05:00' }, ['Weekly']),
        c('Monthly', { frequency: 'monthly', day: 10, time: '02:00' }, ['Daily']),
      ]),
    ).toEqual([]);
  });
});
