import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags } from '../../cli/args.ts';
import { RUN_FLAGS, runRequestFromFlags } from '../../cli/commands/run.ts';
import { PoisonMessageError } from '../../shared/errors.ts';
import type { RunRequest } from '../../shared/events/run-request.ts';
import { managementHandler } from '../../shared/http/management.ts';
import { readPushRequest } from '../../shared/http/push-message.ts';
import { createServiceApp } from '../../shared/http/service-app.ts';
import { silentLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../shared/project/project-config.ts';
import { addDays, dateRange } from '../../shared/model/dates.ts';
import { compileBigquery } from '../../shared/warehouse/dialects/bigquery.ts';
import { cli } from '../support/cli.ts';
import { sql } from '../support/embedded.ts';
import { scenarioProject } from '../support/scenario.ts';
import { computationSource, tempProject, type TempProject } from '../support/temp-project.ts';

/**
 * One run request, three ways in: `compute run` flags, the management API
 * body and a runs-topic message get the same answer from the same function
 * (DESIGN 5b "Dates"), each refusing in its own way: exit 2, 400, poison.
 */
describe('a run request, from the CLI, the management API and a runs-topic message', () => {
  let project: TempProject;
  let server: Server;
  let url: string;
  const requested: Array<{ action: string; request: RunRequest }> = [];

  beforeAll(async () => {
    project = await scenarioProject({ config: { maxRunDays: 5 } });
    const { app } = createServiceApp({
      name: 'planner',
      handlers: {},
      log: silentLogger(),
      auth: { mode: 'open' },
      management: managementHandler({
        log: silentLogger(),
        maxRunDays: 5,
        actions: {
          status: async () => ({}),
          analyze: async (request) => (requested.push({ action: 'analyze', request }), { ok: true }),
          run: async (request) => (requested.push({ action: 'run', request }), { runId: 'run-api-1' }),
        },
      }),
    });
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await project.remove();
  });

  const api = async (body: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  };
  const message = (data: Record<string, unknown>, maxRunDays = 5) => {
    try {
      const push = { message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), messageId: 'm-1' } };
      return { event: readPushRequest({}, push, { maxRunDays }).event, error: null };
    } catch (error) {
      return { event: null, error: error as Error };
    }
  };
  const run = (...args: string[]) => cli(['run', ...args, '--project', project.root]);

  it('refuses `to` before `date` everywhere: exit 2, 400, poison, each naming both', async () => {
    const fromCli = await run('--date', '2026-01-26', '--to', '2026-01-25');
    expect(fromCli.code).toBe(2);
    expect(fromCli.stderr).toContain('--to (2026-01-25) is before --date (2026-01-26): give the range earliest first');
    const fromApi = await api({ action: 'run', date: '2026-01-26', to: '2026-01-25' });
    expect(fromApi.status).toBe(400);
    expect(fromApi.body.error).toContain(
      "field 'to' (2026-01-25) is before field 'date' (2026-01-26): give the range earliest first",
    );
    const fromMessage = message({ date: '2026-01-26', to: '2026-01-25' });
    expect(fromMessage.error).toBeInstanceOf(PoisonMessageError);
    expect(fromMessage.error?.message).toContain(
      "field 'to' (2026-01-25) is before field 'date' (2026-01-26): give the range earliest first",
    );
  });

  it('refuses more than maxRunDays dates everywhere, naming the limit; COMPUTE_MAX_RUN_DAYS overrides it', async () => {
    const six = ['--date', '2026-01-20', '--to', '2026-01-25'];
    const fromCli = await run(...six);
    expect(fromCli.code).toBe(2);
    expect(fromCli.stderr).toContain(
      '--date 2026-01-20 to 2026-01-25 spans 6 dates; one request covers at most 5 (the maxRunDays setting)',
    );
    const analyzed = await cli(['analyze', ...six, '--project', project.root]);
    expect(analyzed.code).toBe(2);
    expect(analyzed.stderr).toContain('at most 5 (the maxRunDays setting)');
    // Raised by the environment, the same range analyzes (and says so for all six dates).
    const raised = await cli(['analyze', ...six, '--json', '--project', project.root], {
      env: { COMPUTE_MAX_RUN_DAYS: '6' },
    });
    expect(raised.code).toBe(0);
    expect(
      new Set((JSON.parse(raised.stdout) as { computations: Array<{ date: string }> }).computations.map((c) => c.date))
        .size,
    ).toBe(6);
    const fromApi = await api({ action: 'analyze', date: '2026-01-20', to: '2026-01-25' });
    expect(fromApi.status).toBe(400);
    expect(fromApi.body.error).toContain('spans 6 dates; one request covers at most 5 (the maxRunDays setting)');
    expect(message({ date: '2026-01-20', to: '2026-01-25' }).error?.message).toContain(
      'spans 6 dates; one request covers at most 5 (the maxRunDays setting)',
    );
  });

  it('answers the 60-byte message that spans the whole calendar at once, as poison naming the limit', () => {
    const started = Date.now();
    const { error } = message({ date: '0001-01-01', to: '9999-12-30' }, 3660);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(error?.message).toContain(
      "field 'date' 0001-01-01 to 9999-12-30 spans 3652058 dates; one request covers at most 3660 (the maxRunDays setting)",
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses the whole calendar on the command line at once, without listing its dates first', async () => {
    const started = Date.now();
    const all = await run('--date', '0001-01-01', '--to', '9999-12-31');
    expect(all.code).toBe(2);
    expect(all.stderr).toContain('--date 0001-01-01 to 9999-12-31 spans 3652059 dates; one request covers at most 5');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('takes run dates from 0001-01-01 to 9999-12-31 and nothing outside', async () => {
    expect(message({ date: '9999-12-27', to: '9999-12-31' }).event).toMatchObject({
      dates: ['9999-12-27', '9999-12-28', '9999-12-29', '9999-12-30', '9999-12-31'],
    });
    expect(message({ date: '0001-01-01', to: '0001-01-02' }).event).toMatchObject({
      dates: ['0001-01-01', '0001-01-02'],
    });
    expect(message({ date: '0000-12-31' }).error?.message).toContain("'0000-12-31' is before 0001-01-01");
    const first = await run('--date', '0001-01-01', '--to', '0001-01-02', '--computation', 'Streak');
    expect(first.code).toBe(0);
    // No 'Run 0000-12-31 first' note: no date comes before the first.
    expect(first.stdout).not.toContain('Note:');
    const fromCli = await run('--date', '0000-12-31');
    expect(fromCli.code).toBe(2);
    expect(fromCli.stderr).toContain("'0000-12-31' is before 0001-01-01, the first run date");
    expect((await api({ action: 'run', date: '0000-12-31' })).status).toBe(400);
  });

  it('refuses run ids outside 1-128 characters of [A-Za-z0-9._-], and . or ..', () => {
    for (const runId of ['.', '..', 'a/b', 'run 1', 'x'.repeat(129), 'état'])
      expect(message({ date: '2026-01-26', runId }).error?.message, runId).toContain(
        "field 'runId' must be 1 to 128 characters of letters, digits, '.', '_' and '-' (not '.' or '..')",
      );
    for (const runId of ['r', 'run-2026.01_26', 'x'.repeat(128), '...'])
      expect(message({ date: '2026-01-26', runId }).event?.runId, runId).toBe(runId);
  });

  it('carries repair: --repair, "repair": true, and every scheduled message', async () => {
    const config = await loadProjectConfig(project.root);
    const manifest = await requireManifest(config);
    const fromFlags = (...argv: string[]) =>
      runRequestFromFlags(parseFlags('run', argv, RUN_FLAGS).flags, new Date('2026-01-27T03:00:00Z'), {
        config,
        manifest,
      });
    expect(fromFlags('--date', 'yesterday', '--repair')).toMatchObject({ dates: ['2026-01-26'], repair: true });
    expect(fromFlags('--date', 'yesterday').repair).toBe(false);
    expect(fromFlags('--date', 'yesterday', '--schedule', '02:00').repair).toBe(true);
    requested.length = 0;
    expect((await api({ action: 'run', date: '2026-01-26', repair: true })).status).toBe(202);
    expect((await api({ action: 'run', date: '2026-01-26' })).status).toBe(202);
    expect(requested.map((r) => r.request.repair)).toEqual([true, false]);
    expect(message({ date: '2026-01-26', schedule: '02:00' }).event).toMatchObject({ repair: true });
    expect(message({ date: '2026-01-26', repair: true }).event).toMatchObject({ repair: true });
    expect(message({ date: '2026-01-26' }).event).toMatchObject({ repair: false });
  });
});

describe('date arithmetic at the ends of the calendar', () => {
  it('ends a range at 9999-12-31 and never writes year 10000', () => {
    expect(dateRange('9999-12-30', '9999-12-31')).toEqual(['9999-12-30', '9999-12-31']);
    expect(dateRange('9999-12-31', '9999-12-31')).toEqual(['9999-12-31']);
    expect(dateRange('2026-01-02', '2026-01-01')).toEqual([]);
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
    expect(addDays('0001-01-01', -1)).toBe('0000-12-31');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('ends a timestamp window at the last microsecond of 9999-12-31, on DuckDB and BigQuery', async () => {
    const ts = { name: 'ts', type: 'TIMESTAMP', kind: 'timestamp' as const, nullable: true };
    const query = { table: 'logins', columns: [ts], entity: null, orderByEntity: false };
    const last = { column: ts, from: '9999-12-31', to: '9999-12-31' };
    expect(compileBigquery({ ...query, window: last }, { projectId: 'p', dataset: 'd' })).toMatchObject({
      sql: 'SELECT `ts` FROM `p.d.logins` WHERE `ts` >= TIMESTAMP(@from)',
      params: { from: '9999-12-31' },
      types: { from: 'DATE' },
    });
    const project = await tempProject({
      'computations/logins.js': computationSource(
        { name: 'Logins', type: 'per-entity', requires: { logins: { dateField: 'ts' } } },
        'return ctx.data.logins.length;',
      ),
    });
    try {
      await sql(project.root, [
        'CREATE TABLE logins (ts TIMESTAMP, entity_id VARCHAR)',
        "INSERT INTO logins VALUES ('9999-12-30 23:59:59', 'a'), ('9999-12-31 00:00:00', 'a'), ('9999-12-31 23:59:59.999999', 'a'), ('9999-12-31 12:00:00', 'b')",
      ]);
      expect((await cli(['run', '--date', '9999-12-31', '--project', project.root])).code).toBe(0);
      const shown = await cli([
        'show',
        '--computation',
        'Logins',
        '--date',
        '9999-12-31',
        '--json',
        '--project',
        project.root,
      ]);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        results: [
          { entityId: 'a', result: 2 },
          { entityId: 'b', result: 1 },
        ],
      });
    } finally {
      await project.remove();
    }
  }, 60_000);

  it('answers `compute analyze --date 9999-12-31` and runs that date', async () => {
    const project = await scenarioProject({ dates: ['9999-12-31'] });
    try {
      const analyzed = await cli(['analyze', '--date', '9999-12-31', '--json', '--project', project.root]);
      expect(analyzed.code).toBe(0);
      const decisions = (
        JSON.parse(analyzed.stdout) as { computations: Array<{ name: string; date: string; decision: string }> }
      ).computations;
      expect(decisions.map((c) => [c.name, c.date, c.decision])).toContainEqual(['Totals', '9999-12-31', 'run']);
      const ran = await cli(['run', '--date', '9999-12-31', '--json', '--project', project.root]);
      expect(ran.code).toBe(0);
      const rows = (JSON.parse(ran.stdout) as { computations: Array<{ name: string; status: string }> }).computations;
      expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    } finally {
      await project.remove();
    }
  }, 60_000);
});
