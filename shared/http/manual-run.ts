import { z } from 'zod';
import { PoisonMessageError } from '../errors.ts';
import { DEFAULT_MAX_RUN_DAYS } from '../project/project-config.ts';
import { fieldsFromJson, jsonField, parseRunRequest, runRequestedEvent } from '../events/run-request.ts';
import { runIdFor } from '../events/run-id.ts';
import { runDateSchema } from '../util/relative-date.ts';
import { MAX_RUN_COMPUTATIONS } from '../events/contracts.ts';
import { boundedText, printable } from '../util/safe-text.ts';
import { describeIssues } from '../util/zod-problems.ts';

/**
 * The short form of a run request that a person (gcloud pubsub topics
 * publish) or Cloud Scheduler puts on the runs topic:
 *   {"date": "2026-01-26", "to"?: "2026-01-31", "computation"?: "X" | "X,Y" | ["X", "Y"], "force"?: true, "repair"?: true}
 * or, as Cloud Scheduler publishes it, {"date": "yesterday", "schedule": "02:00"} (which repairs too).
 * Checked by {@link parseRunRequest}, as the CLI and the management API are.
 * Turned into a run.requested event whose run id comes from the message id
 * (a scheduled run's from its schedule and date: see runIdFor), so a
 * redelivered message starts nothing new; relative dates are resolved
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
    computation: z.union([z.string(), z.array(z.string()).max(MAX_RUN_COMPUTATIONS)]).optional(),
    computations: z.array(z.string()).max(MAX_RUN_COMPUTATIONS).optional(),
    force: z.boolean().optional(),
    repair: z.boolean().optional(),
    trigger: z.string().max(40).optional(),
    runId: z.string().min(1).optional(),
  })
  .strict();

/** What the runs topic's messages are checked against: the project's settings. */
export interface RunMessageRules {
  /** The project's `maxRunDays`. (Default: {@link DEFAULT_MAX_RUN_DAYS}) */
  maxRunDays?: number;
}

/** The event for a short-form run request, or the body unchanged when it is not one. */
export function expandRunRequest(
  body: unknown,
  messageId: string | undefined,
  publishTime?: string,
  rules: RunMessageRules = {},
): unknown {
  if (body === null || typeof body !== 'object' || 'type' in body || !('date' in body)) return body;
  const poison = (problems: string[]) =>
    new PoisonMessageError(
      'INVALID_RUN_MESSAGE',
      `Invalid run message${messageId === undefined ? '' : ` (message ${printable(messageId.slice(0, 100))})`}: ${boundedText(problems.join('; '), 2000)}`,
      messageId === undefined ? {} : { messageId },
    );
  const parsed = shortRun.safeParse(body);
  if (!parsed.success) throw poison(describeIssues(parsed.error));
  const { trigger, schedule, ...fields } = parsed.data;
  const published = publishTime === undefined ? new Date() : new Date(publishTime);
  const request = parseRunRequest(fieldsFromJson({ ...fields, schedule }), {
    now: Number.isNaN(published.getTime()) ? new Date() : published,
    maxRunDays: rules.maxRunDays ?? DEFAULT_MAX_RUN_DAYS,
    field: jsonField,
  });
  if (!request.ok) throw poison(request.problems);
  return runRequestedEvent(
    request.request,
    runIdFor(request.request, { via: 'message', messageId }),
    trigger ?? (schedule === undefined ? 'manual' : 'scheduler'),
  );
}
