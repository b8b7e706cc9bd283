import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckdbWarehouse, openDuckdb } from '../../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import type { TableSchema, Warehouse } from '../../../shared/ports/warehouse.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';

/** The real DuckDB adapter, counting the INFORMATION_SCHEMA queries it sends. */
class CountingWarehouse {
  describes = 0;
  lists = 0;
  readonly inner: DuckdbWarehouse;
  constructor(inner: DuckdbWarehouse) {
    this.inner = inner;
  }
  asWarehouse(): Warehouse {
    return {
      dialect: 'duckdb',
      describeTable: (table: string): Promise<TableSchema | null> => {
        this.describes++;
        return this.inner.describeTable(table);
      },
      listTables: () => {
        this.lists++;
        return this.inner.listTables();
      },
      compile: (q) => this.inner.compile(q),
      inputVersion: (q, scope) => this.inner.inputVersion(q, scope),
      versionQueryCost: this.inner.versionQueryCost,
      stream: (q) => this.inner.stream(q),
      estimate: () => this.inner.estimate(),
    };
  }
}

describe('SchemaRegistry on DuckDB', () => {
  let folder: string;
  let instance: DuckDBInstance;
  let inner: DuckdbWarehouse;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'compute-registry-'));
    instance = await openDuckdb(join(folder, 'w.duckdb'));
    const c = await instance.connect();
    await c.run('CREATE TABLE trades (date DATE, user_id VARCHAR)');
    c.closeSync();
    inner = new DuckdbWarehouse(instance);
  });
  afterAll(async () => {
    await inner.close();
    instance.closeSync();
    await rm(folder, { recursive: true, force: true });
  });

  it('coalesces 50 concurrent requests for one table into one query', async () => {
    const counting = new CountingWarehouse(inner);
    const registry = new SchemaRegistry(counting.asWarehouse(), { clock: new ManualClock() });
    const schemas = await Promise.all(Array.from({ length: 50 }, () => registry.get('trades')));
    expect(counting.describes).toBe(1);
    expect(new Set(schemas).size).toBe(1);
    expect(schemas[0]!.columns.map((c) => c.name)).toEqual(['date', 'user_id']);
  });

  it('serves from the cache within the TTL and asks again after it', async () => {
    const counting = new CountingWarehouse(inner);
    const clock = new ManualClock();
    const registry = new SchemaRegistry(counting.asWarehouse(), { clock, ttlMs: 60_000 });
    await registry.get('trades');
    clock.advance(59_000);
    await registry.get('trades');
    expect(counting.describes).toBe(1);
    clock.advance(2_000);
    await registry.get('trades');
    expect(counting.describes).toBe(2);
    await Promise.all([registry.tables(), registry.tables()]);
    expect(counting.lists).toBe(1);
  });

  it('does not cache a failed discovery', async () => {
    let calls = 0;
    const flaky: Warehouse = {
      ...new CountingWarehouse(inner).asWarehouse(),
      describeTable: async (table) => {
        calls++;
        if (calls === 1) throw new Error('transient');
        return inner.describeTable(table);
      },
    };
    const registry = new SchemaRegistry(flaky, { clock: new ManualClock() });
    await expect(registry.get('trades')).rejects.toThrow('transient');
    expect((await registry.get('trades'))!.table).toBe('trades');
  });
});
