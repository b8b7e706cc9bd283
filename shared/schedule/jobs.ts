import type { Manifest } from '../manifest/manifest.ts';
import { describeSchedule } from './due.ts';

/** One Cloud Scheduler job: at `time` every day, publish `data` to the runs topic. */
export interface SchedulerJob {
  /** Job name: PREFIX-run-HHMM, unique per time. */
  name: string;
  /** 'HH:MM' UTC. */
  time: string;
  /** Unix cron in UTC, e.g. '0 2 * * *'. */
  cron: string;
  timeZone: 'Etc/UTC';
  /** The topic the job publishes to. */
  topic: string;
  /** The message body, exactly as published. */
  data: { date: 'yesterday'; schedule: string };
  /** The computations a run from this job may hold, each with its schedule. */
  computations: Array<{ name: string; schedule: string }>;
}

/**
 * The Scheduler jobs a manifest needs: one per distinct schedule time,
 * firing every day at that time and asking for yesterday's date (the day
 * whose data is complete). Each run holds the computations at that time
 * that are due on that date; on other days it finds nothing due and
 * completes at once, which costs next to nothing.
 */
export function schedulerJobs(manifest: Manifest, prefix: string): SchedulerJob[] {
  const byTime = new Map<string, SchedulerJob['computations']>();
  for (const entry of manifest.computations) {
    const list = byTime.get(entry.config.schedule.time) ?? [];
    list.push({ name: entry.name, schedule: describeSchedule(entry.config.schedule) });
    byTime.set(entry.config.schedule.time, list);
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([time, computations]) => {
      const [hours, minutes] = time.split(':').map(Number) as [number, number];
      return {
        name: `${prefix}-run-${time.replace(':', '')}`,
        time,
        cron: `${minutes} ${hours} * * *`,
        timeZone: 'Etc/UTC',
        topic: `${prefix}-runs`,
        data: { date: 'yesterday', schedule: time },
        computations,
      };
    });
}

/**
 * The jobs as the Terraform module's `scheduled_runs` variable, in a
 * `*.auto.tfvars.json` file Terraform reads by itself: keyed by HHMM, the
 * body as the JSON string the job publishes.
 */
export function schedulesTfvars(jobs: SchedulerJob[]): {
  scheduled_runs: Record<string, { cron: string; data: string; description: string }>;
} {
  return {
    scheduled_runs: Object.fromEntries(
      jobs.map((job) => [
        job.time.replace(':', ''),
        {
          cron: job.cron,
          data: JSON.stringify(job.data),
          description: `Runs ${job.computations.map((c) => c.name).join(', ')} for yesterday (those due), daily at ${job.time} UTC`,
        },
      ]),
    ),
  };
}
