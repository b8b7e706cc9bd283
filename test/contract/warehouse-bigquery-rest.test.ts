import { afterAll, beforeAll } from 'vitest';
import { BigqueryResultStore } from '../../shared/adapters/bigquery/bigquery-results.ts';
import { BigqueryWarehouse } from '../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { FakeBigQuery } from '../support/fake-bigquery/server.ts';
import { FIXTURE_TABLES, fixtureRows } from './warehouse-fixture.ts';
import { warehouseContract, type WarehouseUnderTest } from './warehouse.contract.ts';

/**
 * The warehouse contract over a real @google-cloud/bigquery client whose
 * requests go to the local REST fake (test/support/fake-bigquery): the same
 * suite, the same data and the same expected values as on DuckDB.
 */
let fake: FakeBigQuery;
let underTest: WarehouseUnderTest;

beforeAll(async () => {
  fake = await FakeBigQuery.start('contract-project');
  await fake.dataset('facts', 'EU');
  await fake.dataset('computed', 'EU');
  for (const table of FIXTURE_TABLES)
    await fake.table('facts', table.name, { columns: table.columns, rows: fixtureRows(table) });
  const client = fake.client({ location: 'EU' });
  const at = { projectId: 'contract-project', dataset: 'facts', resultsDataset: 'computed', location: 'EU' };
  underTest = {
    warehouse: new BigqueryWarehouse(client, at),
    results: new BigqueryResultStore(client, at),
  };
});

afterAll(() => fake?.close());

warehouseContract('BigQuery (REST fake)', () => underTest);
