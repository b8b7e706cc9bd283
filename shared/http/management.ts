import type { Request, Response } from 'express';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import type { Logger } from '../ports/logger.ts';
import { resolveRunDate, runDateSchema } from '../util/relative-date.ts';
import { describeIssues } from '../util/zod-problems.ts';

const name = z.string().min(1, 'must be a computation name, not empty');
const names = z.union([name, z.array(name).min(1, 'must name at least one computation')], {
  error: 'must be a computation name or a list of them',
});

/** Dates are calendar dates or relative ones ('yesterday'), resolved against the time of the request. */
const request = z.discriminatedUnion(
  'action',
  [
    z.object({ action: z.literal('status'), date: runDateSchema.optional() }).strict(),
    z
      .object({
        action: z.literal('analyze'),
        date: runDateSchema,
        to: runDateSchema.optional(),
        computation: names.optional(),
        force: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        action: z.literal('run'),
        date: runDateSchema,
        to: runDateSchema.optional(),
        computation: names.optional(),
        force: z.boolean().optional(),
      })
      .strict(),
  ],
  { error: 'must be one of status, analyze, run' },
);

export type ManagementRequest = z.output<typeof request>;

/** What the management API can do; the composition root implements it over the ports. */
export interface ManagementActions {
  status(date: string | undefined): Promise<unknown>;
  analyze(
    dates: { date: string; to?: string | undefined },
    computations: string[] | null,
    force: boolean,
  ): Promise<unknown>;
  run(
    dates: { date: string; to?: string | undefined },
    computations: string[] | null,
    force: boolean,
  ): Promise<{ runId: string }>;
}

export interface ManagementOptions {
  actions: ManagementActions;
  log: Logger;
  /** The time relative dates ('yesterday') are resolved against. (Default: the system clock) */
  now?: () => Date;
}

/** A body the schema can judge: a JSON object sent as JSON; anything else gets its own 400 message. */
function shapeProblem(incoming: Request): string | null {
  if (!incoming.is('application/json'))
    return `the body must be JSON sent with Content-Type: application/json (got ${incoming.headers['content-type'] ?? 'no Content-Type'})`;
  const body = incoming.body as unknown;
  if (Array.isArray(body)) return 'the body must be one JSON object such as {"action": "status"}, not an array';
  if (body === null || typeof body !== 'object') return 'the body must be a JSON object such as {"action": "status"}';
  if (Object.keys(body).length === 0)
    return "the body is empty: field 'action' is required, one of status, analyze, run";
  return null;
}

/**
 * The management API of the seed's operations manual: POST a JSON body
 * with "action": "status" | "analyze" | "run" to /api. 400 names the bad
 * field; a run answers 202 with its run id. Callers are checked before
 * this runs (see managementGuard in auth.ts).
 */
export function managementHandler(options: ManagementOptions) {
  const now = options.now ?? (() => new Date());
  return async (incoming: Request, response: Response): Promise<void> => {
    const problem = shapeProblem(incoming);
    if (problem !== null) {
      response.status(400).json({ error: `Invalid request: ${problem}` });
      return;
    }
    const parsed = request.safeParse(incoming.body);
    if (!parsed.success) {
      response.status(400).json({ error: `Invalid request: ${describeIssues(parsed.error).join('; ')}` });
      return;
    }
    const at = now();
    const body = {
      ...parsed.data,
      ...(parsed.data.date === undefined ? {} : { date: resolveRunDate(parsed.data.date, at) }),
      ...(!('to' in parsed.data) || parsed.data.to === undefined ? {} : { to: resolveRunDate(parsed.data.to, at) }),
    };
    try {
      if (body.action === 'status') {
        response.json(await options.actions.status(body.date));
        return;
      }
      const computations =
        body.computation === undefined ? null : Array.isArray(body.computation) ? body.computation : [body.computation];
      if (body.to !== undefined && body.to < body.date) {
        response.status(400).json({ error: `Invalid request: 'to' (${body.to}) is before 'date' (${body.date})` });
        return;
      }
      if (body.action === 'analyze') {
        response.json(
          await options.actions.analyze({ date: body.date, to: body.to }, computations, body.force ?? false),
        );
        return;
      }
      const { runId } = await options.actions.run({ date: body.date, to: body.to }, computations, body.force ?? false);
      options.log.info(
        { runId, date: body.date, to: body.to ?? null, computations, force: body.force ?? false },
        `Run ${runId} requested through the management API`,
      );
      response.status(202).json({ runId, status: 'requested' });
    } catch (error) {
      if (error instanceof UserError) {
        response.status(400).json({ error: error.message });
        return;
      }
      options.log.error({ error: String(error) }, 'Management request failed');
      response.status(500).json({ error: error instanceof Error ? error.message : String(error) });
    }
  };
}
