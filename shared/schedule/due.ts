import { WEEKDAYS, type Schedule } from '../model/config-schema.ts';
import type { IsoDate } from '../model/types.ts';
import type { Manifest } from '../manifest/manifest.ts';

/**
 * When computations are due. A schedule names the dates a computation is
 * computed for (every date, one weekday, one day of the month) and the UTC
 * time its scheduled run starts. Cloud Scheduler publishes
 * {"date": "yesterday", "schedule": "02:00"} at 02:00 UTC; that run holds
 * the computations scheduled at 02:00 that are due on yesterday's date.
 */

/** Whether a computation with this schedule is due on `date` (a weekly 'monday' one: on Mondays' dates). */
export function isDue(schedule: Schedule, date: IsoDate): boolean {
  if (schedule.frequency === 'daily') return true;
  const day = new Date(`${date}T00:00:00Z`);
  if (schedule.frequency === 'weekly') return WEEKDAYS[day.getUTCDay()] === schedule.day;
  return day.getUTCDate() === schedule.day;
}

/** 'daily at 02:00 UTC', 'weekly on mondays at 02:00 UTC', 'monthly on day 1 at 02:00 UTC'. */
export function describeSchedule(schedule: Schedule): string {
  const on =
    schedule.frequency === 'daily'
      ? 'daily'
      : schedule.frequency === 'weekly'
        ? `weekly on ${String(schedule.day)}s`
        : `monthly on day ${String(schedule.day)}`;
  return `${on} at ${schedule.time} UTC`;
}

/** Why a computation is not due on a date, or null when it is. */
export function notDueReason(schedule: Schedule, date: IsoDate): string | null {
  if (isDue(schedule, date)) return null;
  const weekday = WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
  return `not due on ${date} (a ${weekday}): scheduled ${describeSchedule(schedule)}`;
}

export interface ScheduledSelection {
  /** Computations the scheduled run holds, in manifest order. */
  names: string[];
  /** The others, each with why it is left out. */
  left: Array<{ name: string; reason: string }>;
}

/**
 * The computations a scheduled run holds: scheduled at `time`, due on one
 * of the dates, and among `only` when the message names computations.
 */
export function scheduledSelection(
  manifest: Manifest,
  dates: IsoDate[],
  time: string,
  only: string[] | null,
): ScheduledSelection {
  const names: string[] = [];
  const left: ScheduledSelection['left'] = [];
  for (const entry of manifest.computations) {
    if (only !== null && !only.includes(entry.name)) continue;
    const schedule = entry.config.schedule;
    if (schedule.time !== time) {
      left.push({ name: entry.name, reason: `scheduled at ${schedule.time}, not ${time}` });
      continue;
    }
    const reasons = dates.map((date) => notDueReason(schedule, date));
    if (reasons.every((r) => r !== null)) left.push({ name: entry.name, reason: reasons[0]! });
    else names.push(entry.name);
  }
  return { names, left };
}
