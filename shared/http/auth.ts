import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OAuth2Client } from 'google-auth-library';
import type { Logger } from '../ports/logger.ts';

/**
 * Who may call a service, decided once by the composition root from
 * COMPUTE_API_AUTH (see DESIGN.md sections 5 and 5b, docs/security.md):
 *
 * - `iam`: on Cloud Run without unauthenticated access. Cloud Run checks
 *   every caller's Google ID token before a request arrives; the event
 *   route also checks that the token was issued to the push service
 *   account (`push`), since any invoker of the service reaches `/` too.
 * - `token`: the service checks. The management API (`/api`) needs the
 *   bearer `apiToken`; event deliveries (`/`) need a Pub/Sub OIDC token
 *   signed by Google for `push.audience`, issued to `push.serviceAccountEmail`.
 *   Without a push identity configured, pushes are refused, never trusted.
 * - `open`: nothing is checked. For the emulators on a laptop only.
 */
export type ServiceAuth =
  | { mode: 'iam'; push: PushVerifier }
  | { mode: 'open' }
  | { mode: 'token'; apiToken: string | null; push: PushVerifier | null };

/** Checks the Authorization header of one push; resolves to the caller's email or throws an {@link AuthRefusal}. */
export type PushVerifier = (authorization: string | undefined) => Promise<string>;

/**
 * The refusal texts, fixed: no token, account, URL or library message
 * ever reaches a response or a log line (DESIGN.md 5b).
 */
export const REFUSALS = {
  pushNoToken:
    'Event deliveries need a Pub/Sub OIDC token (Authorization: Bearer <token>): give the push subscription an oidcToken',
  pushInvalid: "The push's OIDC token is not valid (signature, issuer, audience or expiry)",
  pushWrongAccount: "The push's OIDC token was not issued to this service's push service account",
  pushOff:
    'Event deliveries are refused: COMPUTE_API_AUTH=token needs COMPUTE_PUSH_AUDIENCE and COMPUTE_PUSH_SERVICE_ACCOUNT to verify Pub/Sub OIDC tokens. Management requests go to /api.',
  pushUnverifiable: 'The push could not be verified now; Pub/Sub will redeliver it',
  apiNoToken: 'Authorization: Bearer <COMPUTE_API_TOKEN> is required',
  apiBadToken: 'The bearer token is not valid',
  apiOff:
    'The management API is off: COMPUTE_API_AUTH=token needs COMPUTE_API_TOKEN (callers send it as a bearer token).',
} as const;

/** A request refused for who sent it: 401 when no valid credential came, 403 when a valid one is not allowed. */
export class AuthRefusal extends Error {
  readonly status: 401 | 403 | 503;

  constructor(status: 401 | 403 | 503, message: string) {
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

function isUnreachableCerts(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Failed to retrieve verification certificates');
}

/**
 * Verifies Pub/Sub push OIDC tokens with google-auth-library: signature
 * against Google's certificates (fetched and cached by the client), expiry,
 * issuer (accounts.google.com), audience, then the signer's verified email.
 * The library's own messages quote the token, so they are never passed on.
 */
export function pushVerifier(client: OAuth2Client, expected: PushIdentity): PushVerifier {
  return async (authorization) => {
    const token = bearer(authorization);
    if (token === null) throw new AuthRefusal(401, REFUSALS.pushNoToken);
    let payload;
    try {
      payload = (await client.verifyIdToken({ idToken: token, audience: expected.audience })).getPayload();
    } catch (error) {
      // Google's certificates out of reach is no fault of the caller: answer so that Pub/Sub retries.
      if (isUnreachableCerts(error)) throw new AuthRefusal(503, REFUSALS.pushUnverifiable);
      throw new AuthRefusal(401, REFUSALS.pushInvalid);
    }
    if (payload?.email !== expected.serviceAccountEmail || payload.email_verified !== true)
      throw new AuthRefusal(403, REFUSALS.pushWrongAccount);
    return payload.email;
  };
}

/** The claims of a JWT, unverified; null when it is not one. */
function claimsOf(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (part === undefined) return null;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * The push check of `iam` mode. Cloud Run has already verified the token
 * (signature, expiry, audience) before the request arrives, so its claims
 * are read as they are and only the account is checked; with `client`
 * (off Cloud Run, behind a proxy, or in tests) the signature is verified too.
 */
export function trustedPushIdentity(
  expected: { serviceAccountEmail: string; audience?: string | undefined },
  client: OAuth2Client | null,
): PushVerifier {
  if (client !== null && expected.audience !== undefined)
    return pushVerifier(client, { audience: expected.audience, serviceAccountEmail: expected.serviceAccountEmail });
  return async (authorization) => {
    const token = bearer(authorization);
    if (token === null) throw new AuthRefusal(401, REFUSALS.pushNoToken);
    let claims: Record<string, unknown> | null;
    if (client !== null) {
      try {
        claims = ((await client.verifyIdToken({ idToken: token })).getPayload() ?? null) as Record<
          string,
          unknown
        > | null;
      } catch (error) {
        if (isUnreachableCerts(error)) throw new AuthRefusal(503, REFUSALS.pushUnverifiable);
        throw new AuthRefusal(401, REFUSALS.pushInvalid);
      }
    } else claims = claimsOf(token);
    if (claims === null) throw new AuthRefusal(401, REFUSALS.pushInvalid);
    if (claims.email !== expected.serviceAccountEmail || claims.email_verified !== true)
      throw new AuthRefusal(403, REFUSALS.pushWrongAccount);
    return expected.serviceAccountEmail;
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

/**
 * The one check of a management caller (`/api`, and any later route
 * behind the same authentication such as the console's `/ui`): null when
 * the caller may go on, else the refusal to answer. Only `token` mode
 * checks here; `iam` callers were checked by Cloud Run, `open` checks nothing.
 */
export function checkManagementCaller(auth: ServiceAuth, headers: IncomingHttpHeaders): AuthRefusal | null {
  if (auth.mode !== 'token') return null;
  if (auth.apiToken === null) return new AuthRefusal(503, REFUSALS.apiOff);
  const given = bearer(headers.authorization);
  if (given === null) return new AuthRefusal(401, REFUSALS.apiNoToken);
  if (!sameSecret(given, auth.apiToken)) return new AuthRefusal(401, REFUSALS.apiBadToken);
  return null;
}

/** Guards the management API (and any route behind the same authentication) with {@link checkManagementCaller}. */
export function managementGuard(auth: ServiceAuth): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const refusal = checkManagementCaller(auth, request.headers);
    if (refusal === null) return next();
    refuse(response, refusal);
  };
}

/** The header Cloud Run checked: X-Serverless-Authorization when sent (then Authorization is passed on unchecked). */
function checkedAuthorization(auth: ServiceAuth, request: Request): string | undefined {
  const serverless = request.headers['x-serverless-authorization'];
  if (auth.mode === 'iam' && typeof serverless === 'string') return serverless;
  return request.headers.authorization;
}

/**
 * Guards event delivery: in `token` and `iam` mode only a push carrying an
 * OIDC token of the push service account gets through, whatever its body.
 * Runs before the body is read, so an unauthenticated body is never parsed.
 */
export function pushGuard(auth: ServiceAuth, log: Logger, service: string): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (auth.mode === 'open') return next();
    if (auth.push === null) {
      log.warn({ service }, 'Push refused: COMPUTE_API_AUTH=token and no push identity is configured');
      response.status(403).json({ error: REFUSALS.pushOff });
      return;
    }
    auth.push(checkedAuthorization(auth, request)).then(
      () => next(),
      (error: unknown) => {
        const refusal = error instanceof AuthRefusal ? error : new AuthRefusal(503, REFUSALS.pushUnverifiable);
        if (refusal.status === 503) log.error({ service }, `Push not verified: ${refusal.message}`);
        else log.warn({ service, status: refusal.status }, `Push refused: ${refusal.message}`);
        if (refusal.status === 503) response.status(503).json({ error: refusal.message });
        else refuse(response, refusal);
      },
    );
  };
}
