import type { Problem } from '../errors.ts';
import type { Schedule } from '../model/config-schema.ts';
import { describeSchedule } from './due.ts';

/** Whether every date `dependent` is due on, `dependency` is due on too. */
function dueWhenever(dependent: Schedule, dependency: Schedule): boolean {
  if (dependency.frequency === 'daily') return true;
  return dependent.frequency === dependency.frequency && dependent.day === dependency.day;
}

export interface ScheduledComputation {
  name: string;
  file?: string;
  schedule: Schedule;
  dependencies: readonly string[];
}

/**
 * Schedules that cannot work together. Results are per date, so a
 * computation due on a date its dependency is not due on would find no
 * result and be blocked: it must be scheduled no more often than each
 * dependency, on the same days. And on a day both are due, its run must
 * not start before the dependency's: a later time is a later run that
 * reads the stored result, the same time is the same run (passes order them).
 */
export function scheduleProblems(computations: readonly ScheduledComputation[]): Problem[] {
  const byName = new Map(computations.map((c) => [c.name, c]));
  const problems: Problem[] = [];
  for (const c of computations) {
    for (const name of c.dependencies) {
      const dep = byName.get(name);
      if (dep === undefined) continue;
      const where = c.file === undefined ? '' : `${c.file}: `;
      const base = { computation: c.name, ...(c.file === undefined ? {} : { file: c.file }) };
      if (!dueWhenever(c.schedule, dep.schedule)) {
        problems.push({
          ...base,
          code: 'SCHEDULE_MORE_OFTEN_THAN_DEPENDENCY',
          message: `${where}computation '${c.name}' is scheduled ${describeSchedule(c.schedule)}, more often than (or on other days than) its dependency '${dep.name}', scheduled ${describeSchedule(dep.schedule)}: on the dates '${dep.name}' is not due it has no result and '${c.name}' would be blocked. Schedule '${c.name}' like '${dep.name}', or '${dep.name}' daily.`,
        });
      } else if (c.schedule.time < dep.schedule.time) {
        problems.push({
          ...base,
          code: 'SCHEDULE_BEFORE_DEPENDENCY',
          message: `${where}computation '${c.name}' is scheduled at ${c.schedule.time} UTC, earlier on the same day than its dependency '${dep.name}' at ${dep.schedule.time} UTC: its run would start before '${dep.name}' has a result. Schedule '${c.name}' at ${dep.schedule.time} or later.`,
        });
      }
    }
  }
  return problems;
}
