import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import type { Manifest } from '../../../shared/manifest/manifest.ts';
import { gatherDecideInputs } from '../../../shared/plan/decide-inputs.ts';
import { versionScope } from '../../../shared/plan/input-versions.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { duckdbFixtureSql } from '../../contract/warehouse-fixture.ts';
import { state } from '../../contract/state-store.contract.ts';
import { fileWarehouse } from '../../support/duckdb-warehouse.ts';
import { entry, project } from '../../support/entries.ts';

/** The one gathering of decide()'s inputs, shared by the executor and `compute analyze`, over DuckDB and SQLite. */
const duckdb = fileWarehouse('decide-inputs', duckdbFixtureSql);

const D = '2026-03-02'; // a Monday
const totals = entry({ name: 'Totals', type: 'per-entity', requires: { trades: { lookback: 1 } } });
const weekly = entry({
  name: 'Weekly',
  type: 'per-entity',
  isHistorical: true,
  schedule: { frequency: 'weekly', time: '02:00', day: 'monday' },
  dependencies: ['Totals', 'Other'],
});
const manifest = {
  project: project({ inputVersions: true }),
  computations: [totals, weekly],
  byName: new Map([totals, weekly].map((e) => [e.name, e])),
  passes: [['Totals'], ['Weekly']],
} as unknown as Manifest;

describe('gatherDecideInputs', () => {
  it("reads a computation's stored state, its previous due date's, its dependencies' and its input versions", async () => {
    const store = new SqliteStateStore(':memory:');
    try {
      const { warehouse } = duckdb;
      const reader = new ComputationReader({
        warehouse,
        registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
        project: manifest.project,
      });
      await store.states.put(state({ computation: 'Weekly', date: D, resultHash: 'today' }));
      // Weekly on Mondays: its previous result is the Monday before, not the day before.
      await store.states.put(state({ computation: 'Weekly', date: '2026-02-23', resultHash: 'last-week' }));
      await store.states.put(state({ computation: 'Weekly', date: '2026-03-01', resultHash: 'yesterday' }));
      await store.states.put(state({ computation: 'Totals', date: D, resultHash: 'totals' }));

      const scope = versionScope(manifest);
      const gathered = await gatherDecideInputs({ state: store, reader }, weekly, D, scope);
      expect(gathered.stored?.resultHash).toBe('today');
      expect(gathered.previous?.resultHash).toBe('last-week');
      expect([...gathered.dependencies].map(([name, s]) => [name, s?.resultHash ?? null])).toEqual([
        ['Totals', 'totals'],
        ['Other', null],
      ]);
      // It reads no table: no versions, and no query sent.
      expect(gathered.inputs).toBeUndefined();
      expect(scope.queries).toBe(0);

      const ofTotals = await gatherDecideInputs({ state: store, reader }, totals, D, scope);
      expect(ofTotals.previous).toBeNull();
      expect(ofTotals.inputs?.windows).toEqual({ trades: 'window 2026-03-01..2026-03-02' });
      expect(Object.keys(ofTotals.inputs?.versions ?? {})).toEqual(['trades']);

      // The caller's own read of the state is used as given (the executor decides on what it just read).
      const given = await gatherDecideInputs({ state: store, reader }, weekly, D, scope, null);
      expect(given.stored).toBeNull();
    } finally {
      await store.close();
    }
  });
});
