import { z } from 'zod';
import { PoisonMessageError } from '../errors.ts';
import { isoDateSchema } from '../model/iso-date.ts';
import { describeIssues } from '../util/zod-problems.ts';
import { dateRange } from '../warehouse/dates.ts';

/**
 * The short form of a run request that a person (gcloud pubsub topics
 * publish) or Cloud Scheduler puts on the runs topic:
 *   {"date": "2026-01-26", "to"?: "2026-01-31", "computation"?: "X" | ["X", "Y"], "force"?: true}
 * Turned into a run.requested event whose run id comes from the message id,
 * so a redelivered message starts nothing new.
 */
const shortRun = z
  .object({
    date: isoDateSchema,
    to: isoDateSchema.optional(),
    computation: z.union([z.string(), z.array(z.string())]).optional(),
    computations: z.array(z.string()).optional(),
    force: z.boolean().optional(),
    trigger: z.string().optional(),
    runId: z.string().min(1).optional(),
  })
  .strict();

/** The event for a short-form run request, or the body unchanged when it is not one. */
export function expandRunRequest(body: unknown, messageId: string | undefined): unknown {
  if (body === null || typeof body !== 'object' || 'type' in body || !('date' in body)) return body;
  const parsed = shortRun.safeParse(body);
  if (!parsed.success)
    throw new PoisonMessageError(
      'INVALID_RUN_MESSAGE',
      `Invalid run message${messageId === undefined ? '' : ` (message ${messageId})`}: ${describeIssues(parsed.error).join('; ')}`,
      messageId === undefined ? {} : { messageId },
    );
  const { date, to, computation, computations, force, trigger, runId } = parsed.data;
  const names =
    computations ?? (computation === undefined ? null : Array.isArray(computation) ? computation : [computation]);
  return {
    v: 1,
    type: 'run.requested',
    runId: runId ?? `run-${messageId ?? Date.now().toString(36)}`,
    dates: to === undefined || to < date ? [date] : dateRange(date, to),
    computations: names,
    force: force ?? false,
    trigger: trigger ?? 'manual',
  };
}
