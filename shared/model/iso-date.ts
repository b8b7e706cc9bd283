import { z } from 'zod';

/**
 * Whether `text` is a date on the calendar written `YYYY-MM-DD` (2026-02-30
 * is not), from 0001-01-01 to 9999-12-31: there is no year 0.
 */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || text.startsWith('0000-')) return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}

/** A calendar date as `YYYY-MM-DD`, for every schema that reads one from outside (events, run messages, requests). */
export const isoDateSchema = z.string().refine(isCalendarDate, {
  error: (issue) =>
    typeof issue.input === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(issue.input)
      ? `is ${issue.input}, which is not a date on the calendar`
      : 'must be a date as YYYY-MM-DD, e.g. 2026-01-26',
});
