import type { Request, Response } from 'express';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { isoDateSchema } from '../model/iso-date.ts';
import type { Logger } from '../ports/logger.ts';
import { describeIssues } from '../util/zod-problems.ts';

const isoDate = isoDateSchema;
const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'must be a computation name or a list of them',
});

const request = z.discriminatedUnion(
  'action',
  [
    z.object({ action: z.literal('status'), date: isoDate.optional() }).strict(),
    z
      .object({
        action: z.literal('analyze'),
        date: isoDate,
        to: isoDate.optional(),
        computation: names.optional(),
        force: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        action: z.literal('run'),
        date: isoDate,
        to: isoDate.optional(),
        computation: names.optional(),
        force: z.boolean().optional(),
      })
      .strict(),
  ],
  { error: "field 'action' must be one of status, analyze, run" },
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
  /** Bearer token every request must carry; null when the platform authenticates callers (Cloud Run IAM). */
  token: string | null;
  log: Logger;
}

/**
 * The management API of the seed's operations manual: POST a JSON body
 * with "action": "status" | "analyze" | "run". 400 names the bad field,
 * 401 a missing or wrong bearer token; a run answers 202 with its run id.
 */
export function managementHandler(options: ManagementOptions) {
  return async (incoming: Request, response: Response): Promise<void> => {
    if (options.token !== null) {
      const header = incoming.headers.authorization ?? '';
      if (header !== `Bearer ${options.token}`) {
        response
          .status(401)
          .set('WWW-Authenticate', 'Bearer')
          .json({
            error: header === '' ? 'Authorization: Bearer <token> is required' : 'The bearer token is not valid',
          });
        return;
      }
    }
    const parsed = request.safeParse(incoming.body);
    if (!parsed.success) {
      response.status(400).json({ error: `Invalid request: ${describeIssues(parsed.error).join('; ')}` });
      return;
    }
    const body = parsed.data;
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
