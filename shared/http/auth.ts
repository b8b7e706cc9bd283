import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OAuth2Client } from 'google-auth-library';
import type { Logger } from '../ports/logger.ts';

/**
 * Who may call a service, decided once by the composition root from
 * COMPUTE_API_AUTH (see DESIGN.md section 5):
 *
 * - `iam`: on Cloud Run without unauthenticated access. Cloud Run checks
 *   every caller's Google ID token before a request arrives, so the service
 *   checks nothing itself.
 * - `token`: the service checks. The management API (`/api`) needs the
 *   bearer `apiToken`; event deliveries (`/`) need a Pub/Sub OIDC token
 *   signed by Google for `push.audience`, issued to `push.serviceAccountEmail`.
 *   Without a push identity configured, pushes are refused, never trusted.
 * - `open`: nothing is checked. For the emulators on a laptop only.
 */
export type ServiceAuth =
  { mode: 'iam' } | { mode: 'open' } | { mode: 'token'; apiToken: string | null; push: PushVerifier | null };

/** Checks the Authorization header of one push; resolves to the caller's email or throws an {@link AuthRefusal}. */
export type PushVerifier = (authorization: string | undefined) => Promise<string>;

/** A request refused for who sent it: 401 when no valid credential came, 403 when a valid one is not allowed. */
export class AuthRefusal extends Error {
  readonly status: 401 | 403;

  constructor(status: 401 | 403, message: string) {
    super(message);
    this.name = 'AuthRefusal';
    this.status = status;
  }
}

export interface PushIdentity {
  /** The `aud` claim the push subscription's OIDC token carries (its `oidcToken.audience`). */
  audience: string;
  /** The service account the push subscription signs tokens as (its `oidcToken.serviceAccountEmail`). */
  serviceAccountEmail: string;
}

function bearer(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** Library messages can quote the whole token: keep what reaches a response or a log short. */
function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}

/**
 * Verifies Pub/Sub push OIDC tokens with google-auth-library: signature
 * against Google's certificates (fetched and cached by the client), expiry,
 * issuer (accounts.google.com), audience, then the signer's verified email.
 */
export function pushVerifier(client: OAuth2Client, expected: PushIdentity): PushVerifier {
  return async (authorization) => {
    const token = bearer(authorization);
    if (token === null)
      throw new AuthRefusal(
        401,
        'Event deliveries need a Pub/Sub OIDC token (Authorization: Bearer <token>): give the push subscription an oidcToken',
      );
    let payload;
    try {
      payload = (await client.verifyIdToken({ idToken: token, audience: expected.audience })).getPayload();
    } catch (error) {
      // Google's certificates out of reach is no fault of the caller: answer so that Pub/Sub retries.
      if (shortReason(error).startsWith('Failed to retrieve verification certificates')) throw error;
      throw new AuthRefusal(401, `The push's OIDC token is not valid: ${shortReason(error)}`);
    }
    if (payload?.email !== expected.serviceAccountEmail || payload.email_verified !== true) {
      throw new AuthRefusal(
        403,
        `The push's OIDC token was issued to ${payload?.email ?? 'no email'}, not to the push service account ${expected.serviceAccountEmail}`,
      );
    }
    return payload.email;
  };
}

function refuse(response: Response, refusal: AuthRefusal): void {
  if (refusal.status === 401) response.set('WWW-Authenticate', 'Bearer');
  response.status(refusal.status).json({ error: refusal.message });
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Guards the management API: the bearer API token in `token` mode; nothing in `iam` and `open`. */
export function managementGuard(auth: ServiceAuth): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (auth.mode !== 'token') return next();
    if (auth.apiToken === null) {
      response.status(503).json({
        error:
          'The management API is off: COMPUTE_API_AUTH=token needs COMPUTE_API_TOKEN (callers send it as a bearer token).',
      });
      return;
    }
    const given = bearer(request.headers.authorization);
    if (given === null)
      return refuse(response, new AuthRefusal(401, 'Authorization: Bearer <COMPUTE_API_TOKEN> is required'));
    if (!sameSecret(given, auth.apiToken))
      return refuse(response, new AuthRefusal(401, 'The bearer token is not valid'));
    next();
  };
}

/**
 * Guards event delivery: in `token` mode only a push carrying a verified
 * OIDC token of the push service account gets through, whatever its body.
 * Runs before the body is read, so an unauthenticated body is never parsed.
 */
export function pushGuard(auth: ServiceAuth, log: Logger, service: string): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (auth.mode !== 'token') return next();
    if (auth.push === null) {
      log.warn({ service }, 'Push refused: COMPUTE_API_AUTH=token and no push identity is configured');
      response.status(403).json({
        error:
          'Event deliveries are refused: COMPUTE_API_AUTH=token needs COMPUTE_PUSH_AUDIENCE and COMPUTE_PUSH_SERVICE_ACCOUNT to verify Pub/Sub OIDC tokens. Management requests go to /api.',
      });
      return;
    }
    auth.push(request.headers.authorization).then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof AuthRefusal)) {
          log.error({ service, error: shortReason(error) }, 'Push not verified; Pub/Sub will redeliver');
          response.status(503).json({ error: `The push could not be verified now: ${shortReason(error)}` });
          return;
        }
        log.warn({ service, status: error.status }, `Push refused: ${error.message}`);
        refuse(response, error);
      },
    );
  };
}
