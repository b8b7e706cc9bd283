import type { Request, Response } from 'express';
import { z } from 'zod';
import { errorText, UserError } from '../errors.ts';
import { boundedText } from '../util/safe-text.ts';
import { internalError } from './internal-error.ts';
import type { Logger } from '../ports/logger.ts';
import { DEFAULT_MAX_RUN_DAYS } from '../project/project-config.ts';
import { fieldsFromJson, jsonField, parseRunRequest, type RunRequest } from '../events/run-request.ts';
import { resolveRunDate, runDateSchema } from '../util/relative-date.ts';
import { MAX_NAME_CHARS } from '../events/contracts.ts';
import { describeIssues } from '../util/zod-problems.ts';

const name = z
  .string()
  .min(1, 'must be a computation name, not empty')
  .max(MAX_NAME_CHARS * 10);
// How many names is counted after repeats are removed (parseRunRequest); the body limit bounds the list first.
const names = z.union([name, z.array(name).min(1, 'must name at least one computation')], {
  error: 'must be a computation name or a list of them',
});

/** Dates are calendar dates or relative ones ('yesterday'), resolved against the time of the request. */
const runFields = {
  date: runDateSchema,
  to: runDateSchema.optional(),
  computation: names.optional(),
  force: z.boolean().optional(),
  /** Also re-examine the repair window (the project's repairDays) before the dates. */
  repair: z.boolean().optional(),
};
const request = z.discriminatedUnion(
  'action',
  [
    z.object({ action: z.literal('status'), date: runDateSchema.optional() }).strict(),
    z.object({ action: z.literal('analyze'), ...runFields }).strict(),
    z.object({ action: z.literal('run'), ...runFields }).strict(),
  ],
  { error: 'must be one of status, analyze, run' },
);

export type ManagementRequest = z.output<typeof request>;

/** What the management API can do; the composition root implements it over the ports. */
export interface ManagementActions {
  status(date: string | undefined): Promise<unknown>;
  /** A request checked by {@link parseRunRequest}; unknown computation names are a UserError (400). */
  analyze(request: RunRequest): Promise<unknown>;
  run(request: RunRequest): Promise<{ runId: string }>;
}

export interface ManagementOptions {
  actions: ManagementActions;
  log: Logger;
  /** The time relative dates ('yesterday') are resolved against. (Default: the system clock) */
  now?: () => Date;
  /** The project's maxRunDays: a longer range is a 400. (Default: {@link DEFAULT_MAX_RUN_DAYS}) */
  maxRunDays?: number;
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
    const body = parsed.data;
    try {
      if (body.action === 'status') {
        response.json(
          await options.actions.status(body.date === undefined ? undefined : resolveRunDate(body.date, now())),
        );
        return;
      }
      const { action: _action, ...fields } = body;
      const checked = parseRunRequest(fieldsFromJson(fields), {
        now: now(),
        maxRunDays: options.maxRunDays ?? DEFAULT_MAX_RUN_DAYS,
        field: jsonField,
      });
      if (!checked.ok) {
        response.status(400).json({ error: `Invalid request: ${checked.problems.join('; ')}` });
        return;
      }
      const run = checked.request;
      if (body.action === 'analyze') {
        response.json(await options.actions.analyze(run));
        return;
      }
      const { runId } = await options.actions.run(run);
      options.log.info(
        {
          runId,
          date: run.dates[0],
          to: run.dates.at(-1) ?? null,
          computations: run.computations,
          force: run.force,
          repair: run.repair,
        },
        `Run ${runId} requested through the management API`,
      );
      response.status(202).json({ runId, status: 'requested' });
    } catch (error) {
      if (error instanceof UserError && error.code === 'PROJECT_BUSY') {
        // Its text names the warehouse file and another process: for the operator's log, not the caller.
        options.log.warn({ code: error.code, error: errorText(error) }, 'Management request: the warehouse is busy');
        response.status(503).json({ error: 'The warehouse is in use by another process; try again shortly' });
        return;
      }
      if (error instanceof UserError) {
        response.status(400).json({ error: boundedText(error.message, 2000) });
        return;
      }
      internalError(response, options.log, { route: '/api' }, error);
    }
  };
}
