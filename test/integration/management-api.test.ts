import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../shared/adapters/inprocess/inprocess-bus.ts';
import { managementActions } from '../../cli/management-actions.ts';
import { openReader, openStateStore, type OpenWarehouse } from '../../cli/wiring.ts';
import { managementHandler } from '../../shared/http/management.ts';
import { createServiceApp } from '../../shared/http/service-app.ts';
import { silentLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { StateStore } from '../../shared/ports/state-store.ts';
import { loadProjectConfig } from '../../shared/project/project-config.ts';
import type { ComputationReader } from '../../shared/warehouse/computation-reader.ts';
import { runProject } from '../support/embedded.ts';
import { scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';
const TOKEN = 'test-token-123';

describe('management API (POST {"action": ...} to /api)', () => {
  let project: TempProject;
  let server: Server;
  let url: string;
  let state: StateStore;
  let opened: OpenWarehouse & { reader: ComputationReader };
  const bus = new InProcessBus();

  beforeAll(async () => {
    project = await scenarioProject();
    await runProject(project.root, { dates: [D] });
    const config = await loadProjectConfig(project.root);
    const manifest = await requireManifest(config);
    state = await openStateStore(config);
    opened = await openReader(config);
    const actions = managementActions({ manifest, state, bus, reader: async () => opened.reader });
    const { app } = createServiceApp({
      name: 'planner',
      handlers: {},
      log: silentLogger(),
      auth: { mode: 'token', apiToken: TOKEN, push: null },
      management: managementHandler({ actions, log: silentLogger() }),
    });
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await opened.close();
    await state.close();
    await project.remove();
  });

  const post = (body: unknown, token: string | null = TOKEN) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });

  it("reports status, as the seed's curl example does", async () => {
    const response = await post({ action: 'status' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { computations: Array<{ name: string; date: string; status: string }> };
    expect(body.computations.map((c) => [c.name, c.date, c.status])).toEqual([
      ['Streak', D, 'completed'],
      ['Totals', D, 'completed'],
      ['Doubled', D, 'completed'],
      ['Summary', D, 'completed'],
    ]);
  });

  it('analyzes a date', async () => {
    const body = (await (await post({ action: 'analyze', date: D })).json()) as {
      computations: Array<{ name: string; decision: string }>;
    };
    expect(body.computations.map((c) => c.decision)).toEqual(['skip', 'skip', 'skip', 'skip']);
  });

  it('starts a forced run of one computation and answers 202 with its run id', async () => {
    const response = await post({ action: 'run', computation: 'Totals', date: D, force: true });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    expect(bus.published.at(-1)).toEqual({
      v: 1,
      type: 'run.requested',
      runId,
      dates: [D],
      computations: ['Totals'],
      force: true,
      repair: false,
      trigger: 'api',
    });
  });

  it.each([
    [{ action: 'restart' }, "field 'action' must be one of status, analyze, run"],
    [{ action: 'run', date: '26-01-2026' }, "field 'date' must be a date as YYYY-MM-DD"],
    [{ action: 'run', date: D, computation: 'Totalz' }, "No computation named 'Totalz'. Did you mean 'Totals'?"],
    [{ action: 'analyze', date: D, to: '2026-01-01' }, "field 'to' (2026-01-01) is before field 'date' (2026-01-26)"],
    [{ action: 'status', colour: 'blue' }, "field 'colour' is not a known option"],
  ])('answers 400 naming what is wrong in %j', async (body, text) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain(text);
  });

  it.each([
    [{ action: 'restart' }, "Invalid request: field 'action' must be one of status, analyze, run"],
    [{ action: 'run' }, "Invalid request: field 'date' is required"],
    [{ action: 'run', date: D, force: 'yes' }, "Invalid request: field 'force' must be a boolean, not a string"],
  ])('says each problem once, in plain words, for %j', async (body, text) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe(text);
  });

  it('answers 401 without the bearer token or with a wrong one', async () => {
    expect((await post({ action: 'status' }, null)).status).toBe(401);
    const wrong = await post({ action: 'status' }, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
  });
});
