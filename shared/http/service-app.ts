import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { errorText, PoisonMessageError, RetryLaterError, UserError, VersionSkewError } from '../errors.ts';
import { boundedText } from '../util/safe-text.ts';
import { internalError } from './internal-error.ts';
import type { ComputeEvent, EventType } from '../events/contracts.ts';
import type { Logger } from '../ports/logger.ts';
import { managementGuard, pushGuard, type ServiceAuth } from './auth.ts';
import type { RunMessageRules } from './manual-run.ts';
import { readPushRequest } from './push-message.ts';
import { traceFromHeaders, withTrace } from '../logging/trace.ts';

export type EventHandlers = Partial<{ [T in EventType]: (event: Extract<ComputeEvent, { type: T }>) => Promise<void> }>;

export interface ServiceApp {
  app: Express;
  /** Requests being handled now. */
  inFlight(): number;
  /** Resolves when every request in flight has been answered. */
  drained(): Promise<void>;
  /** Answers every request still in flight with 503, so Pub/Sub redelivers it (SIGTERM past its grace); returns how many. */
  handBack(): number;
}

/** Errors whose retry cannot help the same way; Pub/Sub still redelivers a 409 (to another instance, say). */
function isConflict(error: unknown): boolean {
  return error instanceof VersionSkewError;
}

/**
 * The store refused the write itself (gRPC INVALID_ARGUMENT, code 3: a
 * document over 1 MiB, a reserved or too long id): the same event fails
 * the same way every time, so it is poison, not a retry.
 */
function isInvalidArgument(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 3;
}

/** Bodies of the management API are small requests. (Fixed) */
export const MANAGEMENT_BODY_LIMIT = '64kb';
/** Push bodies: a Pub/Sub message is at most 10 MB, base64 in JSON. (Fixed) */
export const PUSH_BODY_LIMIT = '14mb';

/** The seed's management body ({"action": ...}) sent where events arrive. */
function isManagementRequest(request: Request): boolean {
  const body = request.body as { action?: unknown; message?: unknown } | undefined;
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof body.action === 'string' &&
    body.message === undefined &&
    request.headers['ce-id'] === undefined
  );
}

/**
 * One service (planner, executor, worker, or all of them) as an HTTP app
 * receiving Pub/Sub push requests and Eventarc CloudEvents on POST /.
 * 204 when handled, when a duplicate, and for a poison message (logged with
 * its id, acknowledged so it is never retried forever); 409 for version
 * skew and 500 for anything else, which Pub/Sub redelivers.
 */
export function createServiceApp(options: {
  name: string;
  handlers: EventHandlers;
  log: Logger;
  management?: (request: Request, response: Response) => Promise<void>;
  /** The web console, served at /ui behind the management API's guard. (Default: none) */
  console?: RequestHandler;
  traceProject?: string;
  /** Who may call: see {@link ServiceAuth}. (Default: open, nothing checked; the CLI always decides it from COMPUTE_API_AUTH) */
  auth?: ServiceAuth;
  /** The project's settings a runs-topic message is checked against (maxRunDays). (Default: the defaults) */
  runMessages?: RunMessageRules;
}): ServiceApp {
  const app = express();
  app.disable('x-powered-by');
  const auth = options.auth ?? { mode: 'open' };
  // Bodies are read only after the route's guard let the request through.
  const types = ['application/json', 'application/cloudevents+json', 'application/*+json'];
  const json = express.json({ limit: PUSH_BODY_LIMIT, type: types });
  const apiJson = express.json({ limit: MANAGEMENT_BODY_LIMIT, type: types });
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const open = new Set<Response>();
  const settle = () => {
    inFlight--;
    if (inFlight === 0) {
      for (const resolve of waiters) resolve();
      waiters = [];
    }
  };

  // /healthz is the pinned route (DESIGN.md section 5), but Cloud Run answers
  // paths ending in z itself (a 404 of Google's): /health is the same check there.
  app.get(['/healthz', '/health'], (_request: Request, response: Response) => {
    response.json({ ok: true, service: options.name, inFlight });
  });

  const receive = async (request: Request, response: Response) => {
    inFlight++;
    open.add(response);
    try {
      const delivered = readPushRequest(request.headers, request.body as unknown, options.runMessages);
      const handler = options.handlers[delivered.event.type] as ((event: ComputeEvent) => Promise<void>) | undefined;
      if (handler === undefined) {
        throw new PoisonMessageError(
          'WRONG_SERVICE',
          `${options.name} does not handle ${delivered.event.type} (message ${delivered.messageId ?? 'without id'}); check the push subscription's endpoint`,
        );
      }
      await withTrace(traceFromHeaders(request.headers, options.traceProject), () => handler(delivered.event));
      if (!response.headersSent) response.status(204).end();
    } catch (error) {
      const text = boundedText(errorText(error), 2000);
      if (response.headersSent) return; // handed back on shutdown: Pub/Sub redelivers it
      // A user must fix what a UserError names: a retry cannot help, so it is poison too.
      if (error instanceof PoisonMessageError || error instanceof UserError || isInvalidArgument(error)) {
        const code = (error as { code?: unknown }).code;
        options.log.error(
          {
            code: typeof code === 'string' ? code : 'INVALID_ARGUMENT',
            messageId: (error as { messageId?: string }).messageId ?? null,
            service: options.name,
          },
          `Poison message acknowledged: ${text}`,
        );
        response.status(204).end();
      } else if (error instanceof RetryLaterError) {
        options.log.warn({ service: options.name, code: error.code }, text);
        response
          .status(503)
          .json({ error: 'Retry later: the work this message moves on is held by a holder that went quiet' });
      } else if (isConflict(error)) {
        options.log.warn({ service: options.name }, text);
        response
          .status(409)
          .json({ error: 'Version skew: this service runs other code than the message was planned with' });
      } else {
        internalError(response, options.log, { service: options.name, redelivered: true }, error);
      }
    } finally {
      open.delete(response);
      settle();
    }
  };
  // Events on /, the management API on /api (DESIGN.md section 5): separate routes, separately guarded.
  app.post('/', pushGuard(auth, options.log, options.name), json, async (request: Request, response: Response) => {
    if (isManagementRequest(request)) {
      response
        .status(404)
        .json({ error: 'Management requests go to /api; / receives Pub/Sub pushes and Eventarc events' });
      return;
    }
    return receive(request, response);
  });
  const management = options.management;
  // Marks the route before its body is read, so a body that fails to parse is answered as that route's (/API, /api/ too).
  const asManagement = (_request: Request, response: Response, next: NextFunction) => {
    response.locals.management = true;
    next();
  };
  if (management !== undefined) app.post('/api', asManagement, managementGuard(auth), apiJson, management);
  if (options.console !== undefined) app.use('/ui', managementGuard(auth), options.console);
  // A body that is not JSON at all: still poison, still acknowledged; on /api a 400, and 413 when too large.
  app.use((error: Error, _request: Request, response: Response, next: (e?: unknown) => void) => {
    if (response.headersSent) return next(error);
    const tooLarge = (error as { type?: unknown }).type === 'entity.too.large';
    if (response.locals.management === true) {
      if (tooLarge)
        response.status(413).json({ error: `Invalid request: the body is larger than ${MANAGEMENT_BODY_LIMIT}` });
      else response.status(400).json({ error: 'Invalid request: the body is not valid JSON' });
      return;
    }
    options.log.error(
      { service: options.name, tooLarge },
      tooLarge
        ? `Poison request acknowledged: the body is larger than ${PUSH_BODY_LIMIT}`
        : 'Poison request acknowledged: the body is not JSON',
    );
    response.status(204).end();
  });

  return {
    app,
    inFlight: () => inFlight,
    drained: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    handBack: () => {
      const count = open.size;
      for (const response of open)
        if (!response.headersSent) response.status(503).json({ error: 'shutting down; redeliver' });
      open.clear();
      return count;
    },
  };
}
