import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll } from 'vitest';
import { BigqueryResultStore } from '../../shared/adapters/bigquery/bigquery-results.ts';
import { BigqueryWarehouse } from '../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { bigqueryFixtureSql } from './warehouse-fixture.ts';
import { warehouseContract, type WarehouseUnderTest } from './warehouse.contract.ts';

/**
 * The warehouse contract, live on BigQuery. Runs only with
 * COMPUTE_TEST_BIGQUERY_PROJECT set and credentials available (Application
 * Default Credentials); it creates a scratch dataset and deletes it after.
 */
const projectId = process.env.COMPUTE_TEST_BIGQUERY_PROJECT;
const skip =
  projectId === undefined || projectId === ''
    ? 'COMPUTE_TEST_BIGQUERY_PROJECT is not set: the live BigQuery contract test is skipped'
    : null;
if (skip !== null) process.stderr.write(`SKIP: ${skip}\n`);

let client: BigQuery;
let underTest: WarehouseUnderTest;
const dataset = `compute_contract_${Date.now()}_${process.pid}`;

if (skip === null) {
  beforeAll(async () => {
    const location = process.env.COMPUTE_TEST_BIGQUERY_LOCATION ?? 'US';
    client = new BigQuery({ projectId, location });
    await client.createDataset(dataset, { location });
    for (const sql of bigqueryFixtureSql(`${projectId}.${dataset}`)) await client.query({ query: sql, location });
    const at = { projectId: projectId!, dataset, location };
    underTest = {
      warehouse: new BigqueryWarehouse(client, at),
      results: new BigqueryResultStore(client, at),
    };
  }, 300_000);
  afterAll(async () => {
    await client.dataset(dataset).delete({ force: true });
  }, 120_000);
}

warehouseContract('BigQuery (live)', () => underTest, { skip });
