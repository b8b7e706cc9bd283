import { beforeAll } from 'vitest';
import { DuckdbResultStore } from '../../shared/adapters/duckdb/duckdb-results.ts';
import { fileWarehouse } from '../support/duckdb-warehouse.ts';
import { duckdbFixtureSql } from './warehouse-fixture.ts';
import { warehouseContract } from './warehouse.contract.ts';

const duckdb = fileWarehouse('duckdb', duckdbFixtureSql);
let results: DuckdbResultStore;

beforeAll(() => {
  results = new DuckdbResultStore(duckdb.instance);
});

warehouseContract('DuckDB file', () => ({ warehouse: duckdb.warehouse, results }));
