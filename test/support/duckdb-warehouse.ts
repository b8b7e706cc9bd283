import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { DuckdbWarehouse, openDuckdb } from '../../shared/adapters/duckdb/duckdb-warehouse.ts';

/**
 * A DuckDB warehouse in a file of its own for the tests of one file: opened
 * before them with `sql` run in it, closed and removed after them. Read
 * `instance` and `warehouse` inside the tests (they exist from beforeAll).
 */
export function fileWarehouse(name: string, sql: () => readonly string[] = () => []) {
  let folder: string;
  const opened = {} as { instance: DuckDBInstance; warehouse: DuckdbWarehouse };
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), `compute-${name}-`));
    opened.instance = await openDuckdb(join(folder, 'warehouse.duckdb'));
    const connection = await opened.instance.connect();
    for (const statement of sql()) await connection.run(statement);
    connection.closeSync();
    opened.warehouse = new DuckdbWarehouse(opened.instance);
  });
  afterAll(async () => {
    await opened.warehouse.close();
    opened.instance.closeSync();
    await rm(folder, { recursive: true, force: true });
  });
  return opened;
}
