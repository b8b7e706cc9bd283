import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../shared/events/parse.ts';
import { createServiceApp } from '../../shared/http/service-app.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import { batchPrefix } from '../../shared/events/blob-keys.ts';
import { cli } from '../support/cli.ts';
import { sql } from '../support/embedded.ts';
import { computationSource, tempProject, type TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';
const ESC = '\u001b';
/** An entity id that would clear the screen and print a fake line on a terminal. */
const EVIL_ID = `e1${ESC}[2J${ESC}[H\nFAKE LINE: all good`;

/** Issue 20, items 6, 7 and 9: blob keys, terminal output and 500s hold no caller-controlled text raw. */
describe('caller-controlled text', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await tempProject({
      'computations/totals.js': computationSource(
        { name: 'Totals', type: 'per-entity', requires: { events: {} } },
        `if (ctx.entityId !== 'e0') throw new Error('bad ' + ctx.entityId + '\\r\\n${ESC}[31mFAKE: fixed'); return { n: 1 };`,
      ),
    });
    await sql(project.root, [
      'CREATE TABLE events (date DATE, entity_id VARCHAR, value BIGINT)',
      `INSERT INTO events VALUES ('${D}', 'e0', 1), ('${D}', '${EVIL_ID.replace(/'/g, "''")}', 2)`,
    ]);
  }, 60_000);
  afterAll(() => project.remove());

  it('compute run and compute status print stored errors and ids without control characters', async () => {
    const run = await cli(['run', '--date', D, '--project', project.root]);
    expect(run.code).toBe(1);
    const status = await cli(['status', '--project', project.root]);
    for (const output of [run.stdout, run.stderr, status.stdout, status.stderr]) {
      expect(output).not.toContain(ESC);
      expect(output).not.toContain('\r');
      expect(output.split('\n').filter((line) => line.startsWith('FAKE'))).toEqual([]);
    }
    // Shown escaped, so the operator still sees what the id holds.
    expect(status.stdout).toContain('\\u001b[2J');
  }, 60_000);

  it('a 5 MB date gives a short error, not a 5 MB one', async () => {
    const date = '9'.repeat(5_000_000);
    const result = await cli(['run', '--date', date, '--project', project.root]);
    expect(result.code).toBe(2);
    expect(result.stderr.length).toBeLessThan(1000);
    expect(result.stderr).toContain('(5000000 characters)');
  });

  it('blob keys are built only from checked parts', () => {
    expect(batchPrefix('r1', 'Totals', D)).toBe(`runs/r1/Totals/${D}`);
    for (const [runId, computation, date] of [
      ['../other', 'Totals', D],
      ['..', 'Totals', D],
      ['r1', '../Totals', D],
      ['r1', 'Totals', '2026-01-26/../../x'],
    ])
      expect(() => batchPrefix(runId!, computation!, date!)).toThrow('Refusing a blob key');
    const event = {
      v: 1,
      type: 'batch.ready',
      runId: 'r1',
      date: D,
      computation: 'Totals',
      batchId: 'b000000',
      index: 0,
      codeHash: 'h',
      leaseToken: 1,
      attempt: 1,
    };
    expect(parseEvent({ ...event, contextBlob: `runs/r1/Totals/${D}/a1/b000000.context.json` }, 'm').type).toBe(
      'batch.ready',
    );
    for (const contextBlob of [`runs/r2/Totals/${D}/a1/b.json`, `runs/r1/Totals/${D}/../../r2/x.json`, '/etc/passwd'])
      expect(() => parseEvent({ ...event, contextBlob }, 'm')).toThrow("contextBlob must be a blob of the batch's own");
  });
});

describe('a 500 gives nothing internal away', () => {
  let server: Server;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const log = createLogger({ destination: { write: (line: string) => void lines.push(line) }, service: 'test' });
    const { app } = createServiceApp({
      name: 'planner',
      log,
      handlers: {
        'run.requested': async () => {
          throw new Error(
            '13 INTERNAL: projects/demo/databases/(default)/documents/compute-runs/run-1 grpc pubsub.googleapis.com',
          );
        },
      },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a generic message with a correlation id that the log line carries', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: { data: Buffer.from(JSON.stringify({ date: D })).toString('base64'), messageId: '77' },
      }),
    });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; correlationId: string };
    expect(body.error).not.toMatch(/projects\/|documents|googleapis|grpc/);
    expect(body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = lines.find((line) => line.includes(body.correlationId));
    expect(logged).toContain('documents/compute-runs/run-1');
  });
});
