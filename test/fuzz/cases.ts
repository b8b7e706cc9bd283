/**
 * Seeded random requests for the fuzz test: routes, methods, headers,
 * bodies (random bytes, mutated valid bodies) and sizes. The same seed
 * gives the same case, so a failure can be replayed.
 */

import { random } from '../support/random.ts';

export type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, max: number) => Math.floor(rng() * max);

export interface Credentials {
  apiToken: string;
  /** A valid push token of the push account. */
  pushToken: string;
  /** A valid token of another account (an API caller). */
  otherToken: string;
}

export interface FuzzCase {
  seed: number;
  method: 'POST' | 'GET' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** What kind of body it is, for the report. */
  kind: string;
  /** The run id a valid request of this case may create (state may change for it only). */
  mayCreate: string | null;
}

const D = '2026-01-26';
const NASTY_STRINGS = [
  '',
  '..',
  '../../etc/passwd',
  '__x__',
  '\u001b[2J\u001b[H',
  'line\nFAKE',
  '\u0000',
  '%00',
  "'; DROP TABLE x; --",
  '${process.env}',
  '\u202e',
  'r'.repeat(1600),
  '😀'.repeat(400),
  '2026-02-30',
  '0000-12-31',
  'today-999999999',
  'yesterday',
];

function nastyValue(rng: Rng): unknown {
  switch (int(rng, 9)) {
    case 0:
      return pick(rng, NASTY_STRINGS);
    case 1:
      return int(rng, 3) === 0 ? -1 : rng() * 1e20;
    case 2:
      return null;
    case 3:
      return [pick(rng, NASTY_STRINGS), 1, null];
    case 4:
      return { nested: pick(rng, NASTY_STRINGS) };
    case 5:
      return 'x'.repeat(int(rng, 3) === 0 ? 300_000 : 5_000);
    case 6:
      return true;
    case 7:
      return Array.from({ length: int(rng, 3) === 0 ? 20_000 : 50 }, (_, i) => `C${i}`);
    default:
      return undefined;
  }
}

/** A valid event or message of each kind the services take, before mutation. */
function validMessage(rng: Rng, runId: string): Record<string, unknown> {
  const events: Array<Record<string, unknown>> = [
    { date: D },
    { date: D, computation: 'Totals', runId },
    { date: 'yesterday', schedule: '02:00' },
    { action: 'sweep' },
    { v: 1, type: 'run.requested', runId, dates: [D], computations: null, force: false },
    { v: 1, type: 'pass.ready', runId, date: D, pass: 0 },
    {
      v: 1,
      type: 'batch.ready',
      runId,
      date: D,
      computation: 'Totals',
      batchId: 'b000000',
      index: 0,
      contextBlob: `runs/${runId}/Totals/${D}/a1/b000000.context.json`,
      codeHash: 'h',
      leaseToken: 1,
      attempt: 1,
    },
    {
      v: 1,
      type: 'batch.completed',
      runId,
      date: D,
      computation: 'Totals',
      batchId: 'b000000',
      leaseToken: 1,
      attempt: 1,
      succeeded: 1,
      failed: 0,
    },
    { v: 1, type: 'computation.completed', runId, date: D, computation: 'Totals', pass: 0, status: 'completed' },
    { v: 1, type: 'run.completed', runId, status: 'completed' },
  ];
  return structuredClone(pick(rng, events));
}

function mutate(rng: Rng, value: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(value);
  const times = 1 + int(rng, 3);
  for (let i = 0; i < times; i++) {
    const key =
      int(rng, 4) === 0 || keys.length === 0 ? pick(rng, ['extra', 'type', 'v', '__proto__']) : pick(rng, keys);
    const next = nastyValue(rng);
    if (next === undefined) delete value[key];
    else value[key] = next;
  }
  return value;
}

function pushEnvelope(rng: Rng, message: unknown, messageId: string): unknown {
  const data = Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)).toString('base64');
  const envelope: Record<string, unknown> = {
    message: { data, messageId, publishTime: '2026-01-27T02:00:00.000Z' },
    subscription: 'projects/demo-compute/subscriptions/fuzz',
  };
  if (int(rng, 6) === 0) (envelope.message as Record<string, unknown>).data = pick(rng, [null, 5, '!!!', '']);
  if (int(rng, 8) === 0) envelope.message = nastyValue(rng);
  return envelope;
}

function randomBytes(rng: Rng, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = int(rng, 256);
  return bytes;
}

/** One case from its seed. */
export function fuzzCase(seed: number, credentials: Credentials): FuzzCase {
  const rng = random(seed);
  const path = pick(rng, [
    '/',
    '/',
    '/',
    '/api',
    '/api',
    '/API',
    '/api/',
    '/healthz',
    '/health',
    '/ui',
    '/x/../api',
    '//',
  ]);
  const method = int(rng, 10) === 0 ? pick(rng, ['GET', 'PUT'] as const) : 'POST';
  const auth = pick(rng, [
    null,
    `Bearer ${credentials.apiToken}`,
    `Bearer ${credentials.pushToken}`,
    `Bearer ${credentials.otherToken}`,
    'Bearer not-a-jwt-secret-pasted-here-0123456789',
    `Bearer ${credentials.pushToken.slice(0, -5)}xxxxx`,
    'Basic dXNlcjpwYXNz',
    `Bearer ${'a'.repeat(20_000)}`,
  ]);
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = auth;
  headers['content-type'] = pick(rng, [
    'application/json',
    'application/json',
    'application/cloudevents+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
  ]);
  if (int(rng, 6) === 0) {
    headers['ce-id'] = String(seed);
    headers['ce-specversion'] = pick(rng, ['1.0', '0.3', '9']);
    headers['ce-type'] = 'google.cloud.pubsub.topic.v1.messagePublished';
    headers['ce-source'] = '//pubsub.googleapis.com/projects/demo-compute/topics/fuzz';
  }
  const messageId = `fz${seed}`;
  const runId = `run-${messageId}`;
  let body: string | Buffer | undefined;
  let kind: string;
  const shape = int(rng, 10);
  if (shape === 0) {
    kind = 'random bytes';
    body = randomBytes(rng, int(rng, 3) === 0 ? 100_000 : int(rng, 2000));
  } else if (shape === 1) {
    kind = 'oversized';
    body = `{"action":"status","pad":"${'x'.repeat(int(rng, 2) === 0 ? 15_000_000 : 100_000)}"}`;
  } else if (shape === 2) {
    kind = 'management body';
    body = JSON.stringify(
      mutate(rng, { action: pick(rng, ['status', 'analyze', 'run', 'nope']), date: D, computation: 'Totals' }),
    );
  } else if (shape === 3) {
    kind = 'truncated JSON';
    const whole = JSON.stringify(pushEnvelope(rng, validMessage(rng, runId), messageId));
    body = whole.slice(0, int(rng, whole.length));
  } else {
    const message = validMessage(rng, runId);
    const mutated = shape < 7;
    kind = `${mutated ? 'mutated ' : ''}${String(message.type ?? message.action ?? 'run message')}`;
    body = JSON.stringify(pushEnvelope(rng, mutated ? mutate(rng, message) : message, messageId));
  }
  return { seed, method, path, headers, body: method === 'GET' ? undefined : body, kind, mayCreate: runId };
}
