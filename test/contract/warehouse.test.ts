import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { DuckdbResultStore } from '../../shared/adapters/duckdb/duckdb-results.ts';
import { DuckdbWarehouse, openDuckdb } from '../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { duckdbFixtureSql } from './warehouse-fixture.ts';
import { warehouseContract } from './warehouse.contract.ts';

let folder: string;
let instance: DuckDBInstance;
let warehouse: DuckdbWarehouse;
let results: DuckdbResultStore;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'compute-duckdb-'));
  instance = await openDuckdb(join(folder, 'warehouse.duckdb'));
  const connection = await instance.connect();
  for (const sql of duckdbFixtureSql()) await connection.run(sql);
  connection.closeSync();
  warehouse = new DuckdbWarehouse(instance);
  results = new DuckdbResultStore(instance);
});

afterAll(async () => {
  await warehouse.close();
  instance.closeSync();
  await rm(folder, { recursive: true, force: true });
});

warehouseContract('DuckDB file', () => ({ warehouse, results }));
