import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDates } from '../../../shared/reports/analyze.ts';
import { computationSource } from '../../support/temp-project.ts';
import { fakeBigqueryProject, type FakeBigqueryProject } from '../../support/fake-bigquery/project.ts';

let opened: FakeBigqueryProject | undefined;
afterAll(async () => {
  await opened?.close();
});

describe('analyze on BigQuery', () => {
  it('prices the run with a dry run and bills no scan to look for empty mandatory tables', async () => {
    opened = await fakeBigqueryProject(
      {
        'computations/t.js': computationSource({
          name: 'Totals',
          type: 'per-entity',
          requires: { events: { mandatory: true } },
        }),
      },
      '2026-01-26',
    );
    const { manifest, reader, fake, store: state } = opened;
    const [analysis] = await analyzeDates(manifest, state, reader, ['2026-01-26'], null, false);
    // The fake prices a scan at 8 bytes per cell: 1 row of 2 columns.
    expect(analysis).toMatchObject({ name: 'Totals', decision: 'run', bytes: 16 });
    expect(analysis!.reasons).toContain(
      'mandatory tables are checked when it runs (looking now would bill a BigQuery scan)',
    );
    const billed = fake.queryJobs
      .map((job) => (job.configuration.query as { query: string }).query)
      .filter((sql) => !sql.includes('INFORMATION_SCHEMA'));
    expect(billed).toEqual([]);
  });
});
