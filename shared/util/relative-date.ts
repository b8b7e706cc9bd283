import { z } from 'zod';
import { isCalendarDate } from '../model/iso-date.ts';
import type { IsoDate } from '../model/types.ts';
import { addDays } from '../model/dates.ts';
import { quoted } from './safe-text.ts';

/**
 * Dates a run request may name: a calendar date, or one relative to a
 * moment in UTC. Cloud Scheduler's message body is fixed, so a daily job
 * publishes {"date": "yesterday"} and the date is resolved against the
 * message's publish time: a redelivery tomorrow still runs the same date.
 */
export const RUN_DATE_FORMS = "a date as YYYY-MM-DD, or 'today', 'yesterday' or 'today-N' (UTC)";

/** Days back 'today-N' may reach: the longest range a run covers. */
const MAX_DAYS_BACK = 3660;

const ISO = /^\d{4}-\d{2}-\d{2}$/;
const RELATIVE = /^today-(\d{1,4})$/;

/** Why `text` is not a run date, or null when it is one. */
export function runDateProblem(text: string): string | null {
  if (isCalendarDate(text) || text === 'today' || text === 'yesterday') return null;
  const days = RELATIVE.exec(text)?.[1];
  if (days !== undefined) {
    return Number(days) <= MAX_DAYS_BACK ? null : `${quoted(text)} reaches back more than ${MAX_DAYS_BACK} days`;
  }
  if (ISO.test(text))
    return text.startsWith('0000-')
      ? `${quoted(text)} is before 0001-01-01, the first run date`
      : `${quoted(text)} is not a calendar date`;
  return `${quoted(text)} is not ${RUN_DATE_FORMS}`;
}

/**
 * A run date in a request or a message (the management API, the runs
 * topic), still unresolved: check it here, resolve it with
 * {@link resolveRunDate} against the request's or the message's time.
 */
export const runDateSchema = z
  .string({
    error: (issue) => (issue.input === undefined ? 'is required' : `must be ${RUN_DATE_FORMS}, e.g. 2026-01-26`),
  })
  .superRefine((text, context) => {
    const problem = runDateProblem(text);
    if (problem === null) return;
    // The generic problem lists the forms again: say them once.
    const detail = problem.includes(RUN_DATE_FORMS) ? `; got ${quoted(text)}` : `: ${problem}`;
    context.addIssue({ code: 'custom', message: `must be ${RUN_DATE_FORMS}${detail}` });
  });

/** Whether a date is relative (resolved against a time) rather than a calendar date. */
export function isRelativeDate(text: string): boolean {
  return !ISO.test(text);
}

/**
 * Resolves a run date against `now` in UTC: 'today' is now's UTC date,
 * 'yesterday' and 'today-1' the day before, 'today-N' N days before; a
 * calendar date is itself. Throws an Error naming the problem otherwise.
 */
export function resolveRunDate(text: string, now: Date): IsoDate {
  const problem = runDateProblem(text);
  if (problem !== null) throw new Error(problem);
  if (!isRelativeDate(text)) return text;
  if (Number.isNaN(now.getTime())) throw new Error(`cannot resolve '${text}': the reference time is not valid`);
  const today = now.toISOString().slice(0, 10);
  if (text === 'today') return today;
  if (text === 'yesterday') return addDays(today, -1);
  return addDays(today, -Number(RELATIVE.exec(text)![1]));
}
