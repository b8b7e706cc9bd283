import { OAuth2Client } from 'google-auth-library';
import { UserError } from '../errors.ts';
import { pushVerifier, type ServiceAuth } from '../http/auth.ts';

export const AUTH_MODES = ['iam', 'token', 'open'] as const;

export interface ResolvedServiceAuth {
  auth: ServiceAuth;
  /** Whether the planner's management API answers; off, it answers 503 saying how to turn it on. */
  managementOn: boolean;
  /** Said once at start-up. */
  warnings: string[];
}

/**
 * Reads the service's authentication from the environment (DESIGN.md section 5):
 *
 * - COMPUTE_API_AUTH: iam | token | open. (Default: token when
 *   COMPUTE_API_TOKEN is set, else open with the management API off)
 * - COMPUTE_API_TOKEN: the bearer token of the management API (token mode).
 * - COMPUTE_PUSH_AUDIENCE, COMPUTE_PUSH_SERVICE_ACCOUNT: the audience and
 *   the service account of the push subscriptions' OIDC tokens (token mode).
 * - COMPUTE_PUSH_CERTS_URL: where the token signing certificates are
 *   fetched, in Google's PEM format. (Default: Google's own) For tests and
 *   other issuers only.
 */
export function resolveServiceAuth(
  env: Readonly<Record<string, string | undefined>>,
  projectId: string | undefined,
): ResolvedServiceAuth {
  const given = env.COMPUTE_API_AUTH?.trim() || undefined;
  const apiToken = env.COMPUTE_API_TOKEN?.trim() || null;
  if (given !== undefined && !(AUTH_MODES as readonly string[]).includes(given))
    throw new UserError(
      'CONFIG_INVALID',
      `COMPUTE_API_AUTH must be one of ${AUTH_MODES.join(', ')}; got '${given}'. iam: Cloud Run checks every caller; token: the service checks the API token and Pub/Sub OIDC tokens; open: nothing is checked (emulators only).`,
    );
  const mode = (given ?? (apiToken === null ? 'open' : 'token')) as (typeof AUTH_MODES)[number];
  if (mode === 'iam') return { auth: { mode }, managementOn: true, warnings: [] };
  if (mode === 'open') {
    const warnings = [
      given === undefined
        ? 'No authentication (COMPUTE_API_AUTH unset, no COMPUTE_API_TOKEN): event deliveries are not checked and the management API is off. Fine for the emulators on a laptop; on Cloud Run set COMPUTE_API_AUTH=iam.'
        : 'COMPUTE_API_AUTH=open: nothing is checked, anyone who reaches this service can start runs. Use it with the emulators on a laptop only.',
    ];
    return { auth: { mode }, managementOn: given !== undefined, warnings };
  }
  const audience = env.COMPUTE_PUSH_AUDIENCE?.trim() || undefined;
  const email = env.COMPUTE_PUSH_SERVICE_ACCOUNT?.trim() || undefined;
  if ((audience === undefined) !== (email === undefined))
    throw new UserError(
      'CONFIG_INVALID',
      `COMPUTE_API_AUTH=token verifies pushes with both COMPUTE_PUSH_AUDIENCE and COMPUTE_PUSH_SERVICE_ACCOUNT; ${audience === undefined ? 'COMPUTE_PUSH_AUDIENCE' : 'COMPUTE_PUSH_SERVICE_ACCOUNT'} is missing`,
    );
  const warnings: string[] = [];
  if (apiToken === null) warnings.push('COMPUTE_API_AUTH=token without COMPUTE_API_TOKEN: the management API is off.');
  if (audience === undefined || email === undefined) {
    warnings.push(
      'COMPUTE_API_AUTH=token without COMPUTE_PUSH_AUDIENCE and COMPUTE_PUSH_SERVICE_ACCOUNT: every event delivery is refused (403).',
    );
    return { auth: { mode, apiToken, push: null }, managementOn: apiToken !== null, warnings };
  }
  const certsUrl = env.COMPUTE_PUSH_CERTS_URL?.trim() || undefined;
  const client = new OAuth2Client({
    // Given explicitly so the library never asks the metadata server which project it is in.
    ...(projectId === undefined ? {} : { projectId }),
    ...(certsUrl === undefined ? {} : { endpoints: { oauth2FederatedSignonPemCertsUrl: certsUrl } }),
  });
  return {
    auth: { mode, apiToken, push: pushVerifier(client, { audience, serviceAccountEmail: email }) },
    managementOn: apiToken !== null,
    warnings,
  };
}
