import { afterAll, describe, expect, it } from 'vitest';
import { repairWindow, scanRepairWindow } from '../../../shared/plan/repair.ts';
import { versionScope } from '../../../shared/plan/input-versions.ts';
import { state } from '../../contract/state-store.contract.ts';
import { computationSource } from '../../support/temp-project.ts';
import { fakeBigqueryProject, type FakeBigqueryProject } from '../../support/fake-bigquery/project.ts';

let opened: FakeBigqueryProject | undefined;
afterAll(async () => {
  await opened?.close();
});

describe('the repair window on BigQuery', () => {
  it('looks at 7 dates of two computations with one metadata query and no scan', async () => {
    opened = await fakeBigqueryProject(
      {
        'computations/a.js': computationSource({ name: 'Totals', type: 'per-entity', requires: { events: {} } }),
        'computations/b.js': computationSource({
          name: 'Weekly',
          type: 'global',
          requires: { events: { lookback: 6 } },
        }),
      },
      '2026-01-20',
    );
    const { manifest, reader, fake, store } = opened;
    const window = repairWindow(['2026-01-26'], 7);
    expect(window).toEqual([
      '2026-01-19',
      '2026-01-20',
      '2026-01-21',
      '2026-01-22',
      '2026-01-23',
      '2026-01-24',
      '2026-01-25',
    ]);
    // One partial state in the window: the scan names it, and only it.
    await store.states.put(
      state({
        computation: 'Totals',
        date: '2026-01-22',
        status: 'partial',
        counts: { planned: 3, succeeded: 2, failed: 1, stored: 2 },
      }),
    );
    const scope = versionScope(manifest);
    const items = await scanRepairWindow({ manifest, state: store, reader }, window, ['Totals', 'Weekly'], scope);
    expect(items).toEqual([{ date: '2026-01-22', name: 'Totals', reason: 'it is partial' }]);
    const sent = fake.queryJobs.map((job) => (job.configuration.query as { query: string }).query);
    expect(
      sent.filter((sql) => sql.includes('INFORMATION_SCHEMA.PARTITIONS') || sql.includes('__TABLES__')),
    ).toHaveLength(scope.queries);
    expect(scope.queries).toBe(1);
    expect(sent.filter((sql) => !sql.includes('INFORMATION_SCHEMA'))).toEqual([]);
  });
});
