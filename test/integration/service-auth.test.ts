import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServiceAuth } from '../../cli/service-auth.ts';
import type { ComputeEvent } from '../../shared/events/contracts.ts';
import type { ServiceAuth } from '../../shared/http/auth.ts';
import type { ManagementActions } from '../../shared/http/management.ts';
import { managementHandler } from '../../shared/http/management.ts';
import { createServiceApp } from '../../shared/http/service-app.ts';
import { silentLogger } from '../../shared/logging/logger.ts';
import { RUN_DATE_FORMS } from '../../shared/util/relative-date.ts';
import { startTestIssuer, type TestIssuer } from '../support/oidc.ts';

const AUDIENCE = 'https://planner-abc123-ew.a.run.app/';
const PUSHER = 'compute-push@demo-compute.iam.gserviceaccount.com';
const API_TOKEN = 'api-token-7f3a-2b9c41d0';

/** A push body carrying the short run message an attacker would send: {"date": ...}. */
function runPush(messageId = '5001') {
  return {
    message: {
      data: Buffer.from(JSON.stringify({ date: '2026-01-26', force: true })).toString('base64'),
      messageId,
      publishTime: '2026-01-27T02:00:00.000Z',
    },
    subscription: 'projects/demo-compute/subscriptions/compute-runs-to-planner',
  };
}

interface Started {
  url: string;
  runs: ComputeEvent[];
  apiRuns: string[];
  close(): Promise<void>;
}

/** A planner-shaped service (event handler + management API) over real HTTP, with the given authentication. */
async function startService(auth: ServiceAuth): Promise<Started> {
  const runs: ComputeEvent[] = [];
  const apiRuns: string[] = [];
  const actions: ManagementActions = {
    status: async () => ({ computations: [], runs: [] }),
    analyze: async ({ dates }) => ({ date: dates[0], computations: [] }),
    run: async ({ dates }) => {
      apiRuns.push(dates[0]!);
      return { runId: `run-api-${apiRuns.length}` };
    },
  };
  const { app } = createServiceApp({
    name: 'planner',
    log: silentLogger(),
    auth,
    handlers: { 'run.requested': async (event) => void runs.push(event) },
    management: managementHandler({ actions, log: silentLogger(), now: () => new Date('2026-03-01T00:00:30Z') }),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    runs,
    apiRuns,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

describe('token mode: pushes need a verified Pub/Sub OIDC token, the management API the bearer token', () => {
  let issuer: TestIssuer;
  let other: TestIssuer;
  let service: Started;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    other = await startTestIssuer();
    const { auth } = resolveServiceAuth(
      {
        COMPUTE_API_AUTH: 'token',
        COMPUTE_API_TOKEN: API_TOKEN,
        COMPUTE_PUSH_AUDIENCE: AUDIENCE,
        COMPUTE_PUSH_SERVICE_ACCOUNT: PUSHER,
        COMPUTE_PUSH_CERTS_URL: issuer.certsUrl,
      },
      'demo-compute',
    );
    service = await startService(auth);
  });
  afterAll(async () => {
    await service.close();
    await issuer.close();
    await other.close();
  });

  it('accepts a push whose token is signed by Google (here: the test key) for the audience and the push account', async () => {
    const token = issuer.sign({ aud: AUDIENCE, email: PUSHER });
    const response = await post(`${service.url}/`, runPush('5001'), { authorization: `Bearer ${token}` });
    expect(response.status).toBe(204);
    expect(service.runs.map((r) => r.runId)).toEqual(['run-5001']);
  });

  it.each([
    ['no token at all', () => ({}), 401, 'need a Pub/Sub OIDC token'],
    [
      'a token for another audience',
      () => ({ authorization: `Bearer ${issuer.sign({ aud: 'https://other-service.a.run.app/', email: PUSHER })}` }),
      401,
      'is not valid (signature, issuer, audience or expiry)',
    ],
    [
      'a token of another service account',
      () => ({
        authorization: `Bearer ${issuer.sign({ aud: AUDIENCE, email: 'intruder@evil.iam.gserviceaccount.com' })}`,
      }),
      403,
      "not issued to this service's push service account",
    ],
    [
      'an email that is not verified',
      () => ({ authorization: `Bearer ${issuer.sign({ aud: AUDIENCE, email: PUSHER, email_verified: false })}` }),
      403,
      "not issued to this service's push service account",
    ],
    [
      'an expired token',
      () => ({
        authorization: `Bearer ${issuer.sign({ aud: AUDIENCE, email: PUSHER, iat: 1_700_000_000, exp: 1_700_003_600 })}`,
      }),
      401,
      'is not valid (signature, issuer, audience or expiry)',
    ],
    [
      'a token from another issuer',
      () => ({ authorization: `Bearer ${issuer.sign({ aud: AUDIENCE, email: PUSHER, iss: 'https://evil.example' })}` }),
      401,
      'is not valid (signature, issuer, audience or expiry)',
    ],
    [
      'a token signed by another key under the right key id',
      () => ({ authorization: `Bearer ${other.sign({ aud: AUDIENCE, email: PUSHER }, { kid: issuer.kid })}` }),
      401,
      'is not valid (signature, issuer, audience or expiry)',
    ],
    ['the management API token', () => ({ authorization: `Bearer ${API_TOKEN}` }), 401, 'not valid'],
  ])('refuses a push with %s, and starts nothing', async (_label, headers, status, text) => {
    const before = service.runs.length;
    const sent = headers() as { authorization?: string };
    const response = await post(`${service.url}/`, runPush('6001'), sent);
    expect(response.status).toBe(status);
    const error = await errorOf(response);
    expect(error).toContain(text);
    // Fixed texts: no token, no account, no certificates URL.
    const token = sent.authorization?.slice('Bearer '.length);
    if (token !== undefined) expect(error).not.toContain(token.slice(0, 12));
    expect(error).not.toMatch(/@|127\.0\.0\.1|http/);
    expect(service.runs.length).toBe(before);
  });

  it('starts nothing from a push-shaped body on the management route either', async () => {
    const before = service.runs.length;
    const bare = await post(`${service.url}/api`, runPush('7001'));
    expect(bare.status).toBe(401);
    // With the API token the body is judged as a management request: a push body is not one.
    const withToken = await post(`${service.url}/api`, runPush('7002'), { authorization: `Bearer ${API_TOKEN}` });
    expect(withToken.status).toBe(400);
    expect(service.runs.length).toBe(before);
    expect(service.apiRuns).toEqual([]);
  });

  it('answers management requests with the bearer token only', async () => {
    expect((await post(`${service.url}/api`, { action: 'status' })).status).toBe(401);
    expect((await post(`${service.url}/api`, { action: 'status' }, { authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
    const ok = await post(
      `${service.url}/api`,
      { action: 'run', date: 'yesterday' },
      { authorization: `Bearer ${API_TOKEN}` },
    );
    expect(ok.status).toBe(202);
    // The request came at 00:00:30 UTC on March 1st: yesterday is February 28th.
    expect(service.apiRuns).toEqual(['2026-02-28']);
  });

  it('points a management body sent to / at /api instead of treating it as an event', async () => {
    const token = issuer.sign({ aud: AUDIENCE, email: PUSHER });
    const response = await post(`${service.url}/`, { action: 'status' }, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toContain('Management requests go to /api');
  });

  it('fetched the signing certificates once and cached them', () => {
    expect(issuer.fetches()).toBe(1);
  });
});

describe('bad management bodies get 400 naming the problem', () => {
  let service: Started;
  beforeAll(async () => {
    service = await startService({ mode: 'token', apiToken: API_TOKEN, push: null });
  });
  afterAll(() => service.close());

  const auth = { authorization: `Bearer ${API_TOKEN}` };
  it.each([
    ['an empty object', '{}', 'application/json', "field 'action' is required"],
    ['invalid JSON', '{"action": "status",', 'application/json', 'the body is not valid JSON'],
    ['the wrong content type', '{"action": "status"}', 'text/plain', 'Content-Type: application/json (got text/plain)'],
    ['an array', '[{"action": "status"}]', 'application/json', 'not an array'],
    ['an impossible date', '{"action": "run", "date": "2026-02-30"}', 'application/json', 'is not a calendar date'],
    ['a misspelled relative date', '{"action": "run", "date": "yesterdy"}', 'application/json', "got 'yesterdy'"],
    [
      'a misspelled end date, naming the forms once',
      '{"action": "run", "date": "2026-01-26", "to": "tomorrow"}',
      'application/json',
      "Invalid request: field 'to' must be a date as YYYY-MM-DD, or 'today', 'yesterday' or 'today-N' (UTC); got 'tomorrow'",
    ],
    [
      'an empty list of computations',
      '{"action": "run", "date": "2026-01-26", "computation": []}',
      'application/json',
      "field 'computation' must name at least one computation",
    ],
    [
      'an empty computation name',
      '{"action": "analyze", "date": "2026-01-26", "computation": ""}',
      'application/json',
      "field 'computation' must be a computation name, not empty",
    ],
  ])('%s', async (_label, body, type, text) => {
    const response = await fetch(`${service.url}/api`, {
      method: 'POST',
      headers: { 'content-type': type, ...auth },
      body,
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toContain(text);
    // The date forms, when named, are named once.
    expect(error.split(RUN_DATE_FORMS).length).toBeLessThanOrEqual(2);
    expect(service.apiRuns).toEqual([]);
  });

  it('refuses every push when no push identity is configured, never trusting it', async () => {
    const response = await post(`${service.url}/`, runPush('8001'));
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toContain('COMPUTE_PUSH_AUDIENCE');
    expect(service.runs).toEqual([]);
  });
});

describe("Google's certificates out of reach", () => {
  it('answers 503 so Pub/Sub redelivers the push, and starts nothing', async () => {
    const gone = await startTestIssuer();
    const token = gone.sign({ aud: AUDIENCE, email: PUSHER });
    await gone.close();
    const { auth } = resolveServiceAuth(
      {
        COMPUTE_API_AUTH: 'token',
        COMPUTE_PUSH_AUDIENCE: AUDIENCE,
        COMPUTE_PUSH_SERVICE_ACCOUNT: PUSHER,
        COMPUTE_PUSH_CERTS_URL: gone.certsUrl,
      },
      'demo-compute',
    );
    const service = await startService(auth);
    try {
      const response = await post(`${service.url}/`, runPush('9501'), { authorization: `Bearer ${token}` });
      expect(response.status).toBe(503);
      expect(await errorOf(response)).toContain('could not be verified now; Pub/Sub will redeliver it');
      expect(service.runs).toEqual([]);
    } finally {
      await service.close();
    }
  });
});

describe('open mode checks nobody', () => {
  it('open: a push without a token is handled', async () => {
    const service = await startService({ mode: 'open' });
    try {
      expect((await post(`${service.url}/`, runPush('9001'))).status).toBe(204);
      expect(service.runs.map((r) => r.runId)).toEqual(['run-9001']);
    } finally {
      await service.close();
    }
  });
});

describe('COMPUTE_API_AUTH from the environment', () => {
  it('defaults to token when COMPUTE_API_TOKEN is set, else to open with the management API off', () => {
    expect(resolveServiceAuth({ COMPUTE_API_TOKEN: API_TOKEN }, 'p').auth.mode).toBe('token');
    const open = resolveServiceAuth({}, 'p');
    expect([open.auth.mode, open.managementOn]).toEqual(['open', false]);
    expect(open.warnings.join(' ')).toContain('event deliveries are not checked');
    const explicit = resolveServiceAuth({ COMPUTE_API_AUTH: 'open' }, 'p');
    expect([explicit.auth.mode, explicit.managementOn]).toEqual(['open', true]);
    expect(explicit.warnings.join(' ')).toContain('emulators on a laptop only');
  });

  it('refuses an unknown mode and half a push identity, naming what is wrong', () => {
    expect(() => resolveServiceAuth({ COMPUTE_API_AUTH: 'none' }, 'p')).toThrow(
      "COMPUTE_API_AUTH must be one of iam, token, open; got 'none'",
    );
    expect(() => resolveServiceAuth({ COMPUTE_API_AUTH: 'token', COMPUTE_PUSH_AUDIENCE: 'a' }, 'p')).toThrow(
      'COMPUTE_PUSH_SERVICE_ACCOUNT is missing',
    );
  });

  it('warns that pushes will be refused when token mode has no push identity', () => {
    const { warnings, auth } = resolveServiceAuth({ COMPUTE_API_AUTH: 'token', COMPUTE_API_TOKEN: API_TOKEN }, 'p');
    expect(auth).toEqual({ mode: 'token', apiToken: API_TOKEN, push: null });
    expect(warnings.join(' ')).toContain('every event delivery is refused');
  });
});
