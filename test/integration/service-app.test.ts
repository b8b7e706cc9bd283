import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryLaterError, VersionSkewError } from '../../shared/errors.ts';
import { createServiceApp } from '../../shared/http/service-app.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import type { ComputeEvent } from '../../shared/events/contracts.ts';

const PASS: ComputeEvent = { v: 1, type: 'pass.ready', runId: 'run-1', date: '2026-01-26', pass: 0 };
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

/** A plain Pub/Sub push body, as push subscriptions send it. */
function pushBody(data: unknown, messageId = '1001') {
  return {
    message: {
      data: b64(data),
      attributes: { type: 'pass.ready' },
      messageId,
      message_id: messageId,
      publishTime: '2026-01-26T02:00:00.000Z',
      publish_time: '2026-01-26T02:00:00.000Z',
    },
    subscription: 'projects/demo/subscriptions/compute-passes-to-executor',
  };
}

/** An Eventarc delivery: binary-mode CloudEvent headers and a MessagePublishedData body. */
function eventarc(data: unknown, id = '2002') {
  return {
    headers: {
      'content-type': 'application/json',
      'ce-id': id,
      'ce-source': '//pubsub.googleapis.com/projects/demo/topics/compute-passes',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-time': '2026-01-26T02:00:00.000Z',
    },
    body: {
      message: {
        data: b64(data),
        attributes: { type: 'pass.ready' },
        messageId: id,
        publishTime: '2026-01-26T02:00:00.000Z',
      },
      subscription: 'projects/demo/subscriptions/eventarc-trigger',
    },
  };
}

describe('service app over HTTP', () => {
  let server: Server;
  let url: string;
  const handled: ComputeEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];
  let failNext: Error | null = null;

  beforeAll(async () => {
    const log = createLogger({
      destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const { app } = createServiceApp({
      name: 'executor',
      log,
      traceProject: 'demo',
      handlers: {
        'pass.ready': async (event) => {
          if (failNext !== null) {
            const error = failNext;
            failNext = null;
            throw error;
          }
          handled.push(event);
        },
        'run.requested': async (event) => {
          handled.push(event);
          log.info({ runId: event.runId }, 'run handled');
        },
      },
    });
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${url}/`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('handles a plain push body and answers 204', async () => {
    const response = await post(pushBody(PASS));
    expect(response.status).toBe(204);
    expect(handled.at(-1)).toEqual(PASS);
  });

  it('handles an Eventarc CloudEvent in binary mode', async () => {
    const { headers, body } = eventarc({ ...PASS, pass: 2 });
    const response = await post(body, headers);
    expect(response.status).toBe(204);
    expect(handled.at(-1)).toEqual({ ...PASS, pass: 2 });
  });

  it('turns a short manual run message into a run request whose id comes from the message', async () => {
    const response = await post(
      pushBody({ date: '2026-01-26', to: '2026-01-27', computation: 'UserPositions', force: true }, 'm-77'),
    );
    expect(response.status).toBe(204);
    expect(handled.at(-1)).toEqual({
      v: 1,
      type: 'run.requested',
      runId: 'run-m-77',
      dates: ['2026-01-26', '2026-01-27'],
      computations: ['UserPositions'],
      force: true,
      repair: false,
      trigger: 'manual',
    });
  });

  it.each([
    [
      'a malformed event',
      pushBody({ v: 1, type: 'pass.ready', runId: 'r' }, 'bad-1'),
      "Invalid event 'pass.ready' (message bad-1)",
    ],
    ['an unknown event type', pushBody({ v: 1, type: 'coffee.ready', runId: 'r' }, 'bad-2'), 'Invalid event'],
    ['data that is not JSON', pushBody('{{{', 'bad-3'), 'Message bad-3 is not JSON'],
    ['a body without a message', { hello: 'world' }, 'has no message.data'],
    [
      'an event for another service',
      pushBody(
        {
          v: 1,
          type: 'batch.ready',
          runId: 'r',
          date: '2026-01-26',
          computation: 'X',
          batchId: 'b',
          index: 0,
          contextBlob: 'runs/r/X/2026-01-26/a1/b.context.json',
          codeHash: 'h',
          leaseToken: 1,
          attempt: 1,
        },
        'bad-4',
      ),
      'executor does not handle batch.ready',
    ],
  ])('acknowledges %s as poison (204) and logs it', async (_label, body, text) => {
    const before = handled.length;
    const response = await post(body);
    expect(response.status).toBe(204);
    expect(handled.length).toBe(before);
    expect(logs.at(-1)).toMatchObject({ severity: 'ERROR', message: expect.stringContaining(text) });
  });

  it('acknowledges a body that is not JSON at all', async () => {
    expect((await post('not json')).status).toBe(204);
  });

  it('answers 500 when the handler fails, so Pub/Sub redelivers, and 409 on version skew', async () => {
    failNext = new Error('state store unavailable');
    expect((await post(pushBody(PASS))).status).toBe(500);
    failNext = new VersionSkewError('Totals', 'a'.repeat(64), 'b'.repeat(64));
    expect((await post(pushBody(PASS))).status).toBe(409);
  });

  it('answers 503 with a fixed text and logs a warning when the work is held by a quiet holder (come back later)', async () => {
    failNext = new RetryLaterError('Totals on 2026-01-26: its finalization has sent no heartbeat for 130 s');
    const answer = await post(pushBody(PASS));
    expect(answer.status).toBe(503);
    expect(await answer.text()).not.toContain('heartbeat for 130 s');
    expect(logs.at(-1)).toMatchObject({
      severity: 'WARNING',
      code: 'RETRY_LATER',
      message: expect.stringContaining('130 s'),
    });
  });

  it('tags the log lines a request causes with its Cloud Logging trace', async () => {
    await post(pushBody({ date: '2026-01-26' }, 'm-trace'), {
      'content-type': 'application/json',
      'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1',
    });
    expect(logs.find((l) => l.message === 'run handled' && l.runId === 'run-m-trace')).toMatchObject({
      'logging.googleapis.com/trace': 'projects/demo/traces/105445aa7843bc8bf206b12000100000',
    });
  });

  it('answers a health check on /healthz, and on /health, which Cloud Run does not reserve (paths ending in z it answers itself)', async () => {
    for (const path of ['/healthz', '/health']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, service: 'executor', inFlight: 0 });
    }
  });
});
