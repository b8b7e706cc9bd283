import { OAuth2Client } from 'google-auth-library';
import { UserError } from '../shared/errors.ts';
import { pushVerifier, trustedPushIdentity, type ServiceAuth } from '../shared/http/auth.ts';

export const AUTH_MODES = ['iam', 'token', 'open'] as const;

/** The shortest COMPUTE_API_TOKEN accepted: a guessable token is no token. */
export const MIN_API_TOKEN_LENGTH = 16;

export interface ResolvedServiceAuth {
  auth: ServiceAuth;
  /** Whether the planner's management API answers; off, it answers 503 saying how to turn it on. */
  managementOn: boolean;
  /** Said once at start-up. */
  warnings: string[];
  /** Where the service listens when no --host or COMPUTE_HOST is given: open mode stays on this machine. */
  defaultHost: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const refuse = (text: string) => new UserError('CONFIG_INVALID', text);

/** Whether a certificates URL is acceptable: https, or http to a loopback test issuer. */
function certsUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'COMPUTE_PUSH_CERTS_URL is not a URL';
  }
  if (url.protocol === 'https:') return null;
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol === 'http:' && loopback) return null;
  return 'COMPUTE_PUSH_CERTS_URL must use https (plain http only to a loopback test issuer): certificates fetched in the clear can be replaced';
}

/** The API token from the environment: unset is null; set but blank or short stops the service (a secret that did not mount). */
function apiTokenOf(env: Env): string | null {
  const raw = env.COMPUTE_API_TOKEN;
  if (raw === undefined) return null;
  const token = raw.trim();
  if (token.length < MIN_API_TOKEN_LENGTH)
    throw refuse(
      token.length === 0
        ? 'COMPUTE_API_TOKEN is set but blank (did its secret mount?). Give a token of at least 16 characters, or unset it.'
        : `COMPUTE_API_TOKEN is too short: it needs at least ${MIN_API_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24).`,
    );
  return token;
}

function oauthClient(env: Env, projectId: string | undefined): OAuth2Client {
  const certsUrl = env.COMPUTE_PUSH_CERTS_URL?.trim() || undefined;
  if (certsUrl !== undefined) {
    const problem = certsUrlProblem(certsUrl);
    if (problem !== null) throw refuse(problem);
  }
  return new OAuth2Client({
    // Given explicitly so the library never asks the metadata server which project it is in.
    ...(projectId === undefined ? {} : { projectId }),
    ...(certsUrl === undefined ? {} : { endpoints: { oauth2FederatedSignonPemCertsUrl: certsUrl } }),
  });
}

/**
 * Reads the service's authentication from the environment (DESIGN.md
 * sections 5 and 5b). It fails closed: anything that looks like a
 * half-given setting stops the service instead of opening it.
 *
 * - COMPUTE_API_AUTH: iam | token | open. (Default: token when
 *   COMPUTE_API_TOKEN is set, else open with the management API off; a
 *   push setting without COMPUTE_API_AUTH stops the service)
 * - COMPUTE_API_TOKEN: the bearer token of the management API (token
 *   mode), at least 16 characters; set but blank stops the service.
 * - COMPUTE_PUSH_AUDIENCE, COMPUTE_PUSH_SERVICE_ACCOUNT: the audience and
 *   the service account of the push subscriptions' OIDC tokens. Token mode
 *   verifies both; iam mode needs the account and checks that the token
 *   Cloud Run let in was issued to it, so another invoker cannot send events.
 * - COMPUTE_IAM_PROXY: `true` lets iam mode start off Cloud Run (no
 *   K_SERVICE), saying that a proxy in front checks every caller. (Default: off)
 * - COMPUTE_PUSH_CERTS_URL: where token signing certificates are fetched,
 *   https only (http to a loopback test issuer). (Default: Google's own)
 */
export function resolveServiceAuth(env: Env, projectId: string | undefined): ResolvedServiceAuth {
  const given = env.COMPUTE_API_AUTH?.trim() || undefined;
  if (given !== undefined && !(AUTH_MODES as readonly string[]).includes(given))
    throw refuse(
      `COMPUTE_API_AUTH must be one of ${AUTH_MODES.join(', ')}; got '${given.slice(0, 40)}'. iam: Cloud Run checks every caller; token: the service checks the API token and Pub/Sub OIDC tokens; open: nothing is checked (emulators only).`,
    );
  const apiToken = apiTokenOf(env);
  const audience = env.COMPUTE_PUSH_AUDIENCE?.trim() || undefined;
  const email = env.COMPUTE_PUSH_SERVICE_ACCOUNT?.trim() || undefined;
  if (given === undefined && apiToken === null && (audience !== undefined || email !== undefined))
    throw refuse(
      'COMPUTE_PUSH_AUDIENCE or COMPUTE_PUSH_SERVICE_ACCOUNT is set but COMPUTE_API_AUTH and COMPUTE_API_TOKEN are not: refusing to start unchecked. Set COMPUTE_API_AUTH (iam on Cloud Run, token elsewhere) and COMPUTE_API_TOKEN for token mode.',
    );
  const mode = (given ?? (apiToken === null ? 'open' : 'token')) as (typeof AUTH_MODES)[number];
  if (mode === 'iam') return iamMode(env, email, audience, projectId);
  if (mode === 'open') {
    const warnings = [
      given === undefined
        ? 'No authentication (COMPUTE_API_AUTH unset, no COMPUTE_API_TOKEN): event deliveries are not checked and the management API is off. Fine for the emulators on a laptop; on Cloud Run set COMPUTE_API_AUTH=iam.'
        : 'COMPUTE_API_AUTH=open: nothing is checked, anyone who reaches this service can start runs. Use it with the emulators on a laptop only.',
    ];
    return { auth: { mode }, managementOn: given !== undefined, warnings, defaultHost: '127.0.0.1' };
  }
  if ((audience === undefined) !== (email === undefined))
    throw refuse(
      `COMPUTE_API_AUTH=token verifies pushes with both COMPUTE_PUSH_AUDIENCE and COMPUTE_PUSH_SERVICE_ACCOUNT; ${audience === undefined ? 'COMPUTE_PUSH_AUDIENCE' : 'COMPUTE_PUSH_SERVICE_ACCOUNT'} is missing`,
    );
  const warnings: string[] = [];
  if (apiToken === null) warnings.push('COMPUTE_API_AUTH=token without COMPUTE_API_TOKEN: the management API is off.');
  if (audience === undefined || email === undefined) {
    warnings.push(
      'COMPUTE_API_AUTH=token without COMPUTE_PUSH_AUDIENCE and COMPUTE_PUSH_SERVICE_ACCOUNT: every event delivery is refused (403).',
    );
    return { auth: { mode, apiToken, push: null }, managementOn: apiToken !== null, warnings, defaultHost: '0.0.0.0' };
  }
  const client = oauthClient(env, projectId);
  return {
    auth: { mode, apiToken, push: pushVerifier(client, { audience, serviceAccountEmail: email }) },
    managementOn: apiToken !== null,
    warnings,
    defaultHost: '0.0.0.0',
  };
}

function iamMode(
  env: Env,
  email: string | undefined,
  audience: string | undefined,
  projectId: string | undefined,
): ResolvedServiceAuth {
  const proxied = env.COMPUTE_IAM_PROXY?.trim().toLowerCase() === 'true';
  if ((env.K_SERVICE?.trim() || undefined) === undefined && !proxied)
    throw refuse(
      'COMPUTE_API_AUTH=iam relies on Cloud Run to check every caller, and this is not Cloud Run (no K_SERVICE): nothing would be checked. Use COMPUTE_API_AUTH=token here, or set COMPUTE_IAM_PROXY=true if a proxy in front checks every caller.',
    );
  if (email === undefined)
    throw refuse(
      'COMPUTE_API_AUTH=iam needs COMPUTE_PUSH_SERVICE_ACCOUNT, the account the push subscriptions sign as: without it any invoker of this service could send events to /.',
    );
  // Off Cloud Run with a proxy and a certificates URL: verify signatures too (tests use a loopback issuer).
  const verify = proxied && env.COMPUTE_PUSH_CERTS_URL !== undefined ? oauthClient(env, projectId) : null;
  return {
    auth: { mode: 'iam', push: trustedPushIdentity({ serviceAccountEmail: email, audience }, verify) },
    managementOn: true,
    warnings: [],
    defaultHost: '0.0.0.0',
  };
}
