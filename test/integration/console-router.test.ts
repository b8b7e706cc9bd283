import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.ts';
import { consoleRouter, type ConsoleActions } from '../../shared/console/router.ts';
import type { RunRequest } from '../../shared/events/run-request.ts';
import type { Manifest } from '../../shared/manifest/manifest.ts';
import { state } from '../contract/state-store.contract.ts';

/** 1,000 computations in one pass: enough to page, no files needed (the router reads names, passes and dependencies). */
function manifestOf(count: number): Manifest {
  const entries = Array.from({ length: count }, (_, i) => ({
    name: `C${String(i).padStart(4, '0')}`,
    pass: 0,
    config: { dependencies: [] as string[] },
    dependents: [] as string[],
  }));
  return {
    project: { maxRunDays: 3660 },
    computations: entries,
    byName: new Map(entries.map((e) => [e.name, e])),
    passes: [entries.map((e) => e.name)],
  } as unknown as Manifest;
}

describe('console pages over HTTP: paging, filters and refusals', () => {
  let folder: string;
  let store: SqliteStateStore;
  let server: Server;
  let base: string;
  const started: RunRequest[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'console-router-'));
    store = new SqliteStateStore(join(folder, 'state.sqlite'));
    await store.states.put(state({ computation: 'C0777', date: '2026-06-30', status: 'failed', error: 'boom' }));
    await store.states.put(state({ computation: 'C0001', date: '2026-06-30' }));
    const actions: ConsoleActions = {
      analyze: async () => ({ computations: [], totalBytes: null }),
      run: async (request) => {
        started.push(request);
        return { runId: 'run-x' };
      },
      render: async () => ({ unavailable: 'no warehouse here' }),
    };
    const app = express();
    app.use('/ui', consoleRouter({ manifest: manifestOf(1000), state: store, actions }));
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.close();
    await store.close();
    await rm(folder, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, html: await response.text() };
  };
  const rowsOf = (html: string) => [...html.matchAll(/<th scope="row"><a [^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
  const datesOf = (html: string) => [...html.matchAll(/<th scope="col" class="d">([^<]+)</g)].map((m) => m[1]);

  it('pages 1,000 computations by 50 and a year of dates by 92, saying so', async () => {
    const first = await get('/ui/?from=2026-01-01&to=2026-12-31');
    expect(first.status).toBe(200);
    expect(rowsOf(first.html)).toHaveLength(50);
    expect(datesOf(first.html)).toHaveLength(92);
    expect(datesOf(first.html).at(-1)).toBe('2026-04-02');
    expect(first.html).toContain('Showing 92 dates at a time');
    expect(first.html).toContain('computations 1–50 of 1000 (page 1 of 20)');
    const last = await get('/ui/?from=2026-06-01&to=2026-06-30&page=20');
    expect(rowsOf(last.html)).toEqual(Array.from({ length: 50 }, (_, i) => `C0${950 + i}`));
  });

  it('by default shows the 30 dates up to the latest stored one, and filters by status and by name', async () => {
    const fallback = await get('/ui/');
    expect(datesOf(fallback.html)).toHaveLength(30);
    expect(datesOf(fallback.html).at(-1)).toBe('2026-06-30');
    const failed = await get('/ui/?from=2026-06-01&to=2026-06-30&status=failed');
    expect(rowsOf(failed.html)).toEqual(['C0777']);
    expect(failed.html).toContain('aria-label="failed">✗</a>');
    const named = await get('/ui/?from=2026-06-01&to=2026-06-30&q=c000');
    expect(rowsOf(named.html)).toEqual([
      'C0000',
      'C0001',
      'C0002',
      'C0003',
      'C0004',
      'C0005',
      'C0006',
      'C0007',
      'C0008',
      'C0009',
    ]);
  });

  it('answers bad addresses with what is wrong', async () => {
    const bad = await get('/ui/?from=2026-13-01');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('&#39;from&#39; must be a date as YYYY-MM-DD');
    const unknown = await get('/ui/computations/C077/2026-06-30');
    expect(unknown.status).toBe(404);
    expect(unknown.html).toMatch(/Did you mean <a [^>]*>C0\d\d\d<\/a>/);
    const rows = await get('/ui/?rows=5000');
    expect(rows.status).toBe(400);
    expect((await get('/ui/runs/nope')).status).toBe(404);
    expect((await get('/ui/nothing-here')).status).toBe(404);
  });

  it('starts a run only after the confirmation, and never from another site', async () => {
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${base}/ui/run`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
      });
    const asked = await post({ from: '2026-06-29', to: '2026-06-30', computation: 'C0001' });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('Confirm: start the run');
    expect(started).toEqual([]);
    const foreign = await post({ from: '2026-06-29', confirm: 'yes' }, { 'sec-fetch-site': 'cross-site' });
    expect(foreign.status).toBe(403);
    expect(started).toEqual([]);
    const unknownName = await post({ from: '2026-06-29', computation: 'Nope', confirm: 'yes' });
    expect(unknownName.status).toBe(400);
    expect(await unknownName.text()).toContain('No computation named &#39;Nope&#39;');
    const confirmed = await post({ from: '2026-06-29', to: '2026-06-30', computation: 'C0001', confirm: 'yes' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('/ui/runs/run-x');
    expect(started.map((r) => [r.dates, r.computations])).toEqual([[['2026-06-29', '2026-06-30'], ['C0001']]]);
  });
});
