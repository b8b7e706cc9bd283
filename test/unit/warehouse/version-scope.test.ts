import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckdbWarehouse, openDuckdb } from '../../../shared/adapters/duckdb/duckdb-warehouse.ts';
import type { ColumnInfo, TableQuery, VersionScope } from '../../../shared/ports/warehouse.ts';
import { sharedVersionQuery } from '../../../shared/warehouse/version-scope.ts';

const scope = (): VersionScope => ({ tables: ['readings'], memo: new Map(), queries: 0 });

describe('sharedVersionQuery', () => {
  it('sends one query per key and scope, and asks again after a failure', async () => {
    const s = scope();
    let calls = 0;
    const fail = () => {
      calls++;
      return Promise.reject(new Error('refused'));
    };
    await expect(sharedVersionQuery(s, 'k', fail)).rejects.toThrow('refused');
    const ok = () => {
      calls++;
      return Promise.resolve('v1');
    };
    expect(await Promise.all([sharedVersionQuery(s, 'k', ok), sharedVersionQuery(s, 'k', ok)])).toEqual(['v1', 'v1']);
    expect(await sharedVersionQuery(s, 'k', ok)).toBe('v1');
    expect([calls, s.queries]).toEqual([2, 2]);
  });
});

describe('input versions on DuckDB within one scope', () => {
  let folder: string;
  let instance: DuckDBInstance;
  let warehouse: DuckdbWarehouse;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'compute-version-scope-'));
    instance = await openDuckdb(join(folder, 'w.duckdb'));
    warehouse = new DuckdbWarehouse(instance);
  });
  afterAll(async () => {
    await warehouse.close();
    instance.closeSync();
    await rm(folder, { recursive: true, force: true });
  });

  it('a version query that failed is asked again by the next lookup of the same run', async () => {
    const day: ColumnInfo = { name: 'day', type: 'DATE', kind: 'date', nullable: true };
    const query: TableQuery = {
      table: 'readings',
      columns: [day],
      entity: null,
      window: { column: day, from: '2026-03-01', to: '2026-03-01' },
      orderByEntity: false,
    };
    const run = scope();
    await expect(warehouse.inputVersion(query, run)).rejects.toThrow(/readings/);
    const c = await instance.connect();
    await c.run(`CREATE TABLE readings AS SELECT DATE '2026-03-01' AS day`);
    c.closeSync();
    expect(await warehouse.inputVersion(query, run)).toMatch(/^1:/);
    expect(run.queries).toBe(2);
  });
});
