import type { IsoDate } from './types.ts';

const DAY_MS = 86_400_000;

/** The first and last run dates: four-digit years, so that text order is date order. */
export const FIRST_DATE: IsoDate = '0001-01-01';
export const LAST_DATE: IsoDate = '9999-12-31';

/**
 * The date `days` after `date` (before, when negative). Past 9999-12-31
 * there is no `YYYY-MM-DD` text that sorts after the dates before it, so
 * that is a RangeError, never a year-10000 string. Below, year 0000 is
 * still allowed: the day before 0001-01-01 is a key that holds nothing
 * (a historical computation's previous date), and it sorts first.
 */
export function addDays(date: IsoDate, days: number): IsoDate {
  const time = Date.parse(`${date}T00:00:00Z`) + days * DAY_MS;
  const next = Number.isNaN(time) ? '' : new Date(time).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(next) || next > LAST_DATE)
    throw new RangeError(
      `${date} ${days < 0 ? '-' : '+'} ${Math.abs(days)} day(s) is outside the calendar of run dates (0000-01-01 to ${LAST_DATE})`,
    );
  return next;
}

/** Whole days from `from` to `to`: 0 for the same date, negative when `to` is earlier. */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The date `days` before `date`, or 0001-01-01 when that is earlier: the start of a window reaching back. */
export function daysBeforeOrFirst(date: IsoDate, days: number): IsoDate {
  return addDays(date, -Math.max(0, Math.min(days, daysBetween(FIRST_DATE, date))));
}

/**
 * Every date from `from` to `to`, inclusive; none when `to` is earlier.
 * Counted, not stepped until past `to`, so the last date of the calendar ends it too.
 */
export function dateRange(from: IsoDate, to: IsoDate): IsoDate[] {
  const count = daysBetween(from, to) + 1;
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: Math.max(0, count) }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}
