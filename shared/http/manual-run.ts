import { z } from 'zod';
import { PoisonMessageError } from '../errors.ts';
import { resolveRunDate, runDateSchema } from '../util/relative-date.ts';
import { describeIssues } from '../util/zod-problems.ts';
import { dateRange } from '../warehouse/dates.ts';

/**
 * The short form of a run request that a person (gcloud pubsub topics
 * publish) or Cloud Scheduler puts on the runs topic:
 *   {"date": "2026-01-26", "to"?: "2026-01-31", "computation"?: "X" | ["X", "Y"], "force"?: true}
 * or, as Cloud Scheduler publishes it, {"date": "yesterday", "schedule": "02:00"}.
 * Turned into a run.requested event whose run id comes from the message id,
 * so a redelivered message starts nothing new; relative dates are resolved
 * in UTC against the publish time, so a redelivery runs the same date too.
 */
const shortRun = z
  .object({
    date: runDateSchema,
    to: runDateSchema.optional(),
    schedule: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be the schedule's time of day as 'HH:MM' (UTC), e.g. '02:00'")
      .optional(),
    computation: z.union([z.string(), z.array(z.string())]).optional(),
    computations: z.array(z.string()).optional(),
    force: z.boolean().optional(),
    trigger: z.string().optional(),
    runId: z.string().min(1).optional(),
  })
  .strict();

/** The event for a short-form run request, or the body unchanged when it is not one. */
export function expandRunRequest(body: unknown, messageId: string | undefined, publishTime?: string): unknown {
  if (body === null || typeof body !== 'object' || 'type' in body || !('date' in body)) return body;
  const parsed = shortRun.safeParse(body);
  if (!parsed.success)
    throw new PoisonMessageError(
      'INVALID_RUN_MESSAGE',
      `Invalid run message${messageId === undefined ? '' : ` (message ${messageId})`}: ${describeIssues(parsed.error).join('; ')}`,
      messageId === undefined ? {} : { messageId },
    );
  const { computation, computations, force, trigger, runId, schedule } = parsed.data;
  const published = publishTime === undefined ? new Date() : new Date(publishTime);
  const at = Number.isNaN(published.getTime()) ? new Date() : published;
  const date = resolveRunDate(parsed.data.date, at);
  const to = parsed.data.to === undefined ? undefined : resolveRunDate(parsed.data.to, at);
  if (schedule !== undefined && to !== undefined && to !== date)
    throw new PoisonMessageError(
      'INVALID_RUN_MESSAGE',
      `A scheduled run message names one date; message ${messageId ?? '(no id)'} has 'schedule' and 'to': drop one of them`,
      messageId === undefined ? {} : { messageId },
    );
  const names =
    computations ?? (computation === undefined ? null : Array.isArray(computation) ? computation : [computation]);
  return {
    v: 1,
    type: 'run.requested',
    runId: runId ?? `run-${messageId ?? Date.now().toString(36)}`,
    dates: to === undefined || to < date ? [date] : dateRange(date, to),
    computations: names,
    force: force ?? false,
    trigger: trigger ?? (schedule === undefined ? 'manual' : 'scheduler'),
    ...(schedule === undefined ? {} : { schedule }),
  };
}
