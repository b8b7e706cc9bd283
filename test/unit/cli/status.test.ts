import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLease } from '../../../shared/state/leases.ts';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { cli, json } from '../../support/cli.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';
import { state } from '../../contract/state-store.contract.ts';

let project: TempProject | undefined;
afterEach(() => project?.remove());

describe('compute status', () => {
  it('shows each computation with its latest state, flags a stale running lease, and lists runs', async () => {
    project = await tempProject({
      // Silence is judged on the store's clock: a 1 s TTL lets the lease go stale within the test.
      'compute.config.json': JSON.stringify({ execution: { leaseTtlSeconds: 1 } }),
      'computations/a.js': computationSource({ name: 'A', type: 'global' }),
      'computations/b.js': computationSource({ name: 'B', type: 'global', dependencies: ['A'] }),
      'computations/c.js': computationSource({ name: 'C', type: 'global' }),
    });
    const store = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
    await store.states.put(state({ computation: 'A', date: '2026-01-25', resultHash: 'old' }));
    await store.states.put(state({ computation: 'A', date: '2026-01-26', resultHash: 'new' }));
    await store.states.put(state({ computation: 'B', date: '2026-01-26', status: 'running', resultHash: null }));
    await acquireLease(
      store.leases,
      { computation: 'B', date: '2026-01-26' },
      'crashed-executor',
      new Date('2026-01-26T02:00:00Z'),
      () => true,
    );
    await store.runs.create({
      runId: 'run-7',
      dates: ['2026-01-26'],
      trigger: 'cli',
      computations: null,
      force: false,
      status: 'running',
      startedAt: '2026-01-26T02:00:00Z',
      finishedAt: null,
      progress: {},
    });
    await store.close();
    await new Promise((r) => setTimeout(r, 1200));

    const latest = json<{
      computations: Array<{
        name: string;
        date: string | null;
        status: string;
        resultHash: string | null;
        stale: boolean;
      }>;
      runs: Array<{ runId: string }>;
    }>(await cli(['status', '--json', '--project', project.root]));
    expect(latest.computations.map((c) => [c.name, c.date, c.status, c.resultHash, c.stale])).toEqual([
      ['A', '2026-01-26', 'completed', 'new', false],
      ['C', null, 'pending', null, false],
      ['B', '2026-01-26', 'running', null, true],
    ]);
    expect(latest.runs.map((r) => r.runId)).toEqual(['run-7']);

    const onDate = json<{ computations: Array<{ name: string; resultHash: string | null }> }>(
      await cli(['status', '--json', '--date', '2026-01-25', '--project', project.root]),
    );
    expect(onDate.computations.find((c) => c.name === 'A')!.resultHash).toBe('old');

    const text = await cli(['status', '--project', project.root]);
    expect(text.stdout).toContain('its holder is gone: compute sweep, or the next run, takes it over');
  });

  it("judges a running lease by the project's lease TTL", async () => {
    project = await tempProject({
      'compute.config.json': JSON.stringify({ execution: { leaseTtlSeconds: 20 * 365 * 86_400 } }),
      'computations/b.js': computationSource({ name: 'B', type: 'global' }),
    });
    const store = new SqliteStateStore(join(project.root, '.compute/state.sqlite'));
    await store.states.put(state({ computation: 'B', date: '2026-01-26', status: 'running', resultHash: null }));
    await acquireLease(
      store.leases,
      { computation: 'B', date: '2026-01-26' },
      'busy-executor',
      new Date('2026-01-26T02:00:00Z'),
      () => true,
    );
    await store.close();
    const output = json<{ computations: Array<{ name: string; stale: boolean }> }>(
      await cli(['status', '--json', '--project', project.root]),
    );
    expect(output.computations).toEqual([expect.objectContaining({ name: 'B', status: 'running', stale: false })]);
  });

  it('rejects a malformed date with exit 2', async () => {
    const result = await cli(['status', '--date', '2026-02-30']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--date must be a calendar date as YYYY-MM-DD, e.g. 2026-01-26, or today, yesterday, today-N (UTC); got '2026-02-30'",
    );
  });

  it('says how far back a relative date may reach', async () => {
    const result = await cli(['status', '--date', 'today-5000']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("today-N (UTC): 'today-5000' reaches back more than 3660 days");
  });
});
