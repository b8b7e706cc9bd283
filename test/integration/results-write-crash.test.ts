import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckdbResultStore } from '../../shared/adapters/duckdb/duckdb-results.ts';
import { openDuckdb } from '../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { runUntilKilled } from '../support/kill-writer.ts';

const writer = join(import.meta.dirname, '../support/children/results-writer.ts');
const ROWS = 20_000;

/**
 * Scenario 23 on a real process: `compute`'s DuckDB result store replacing
 * one (computation, date) is killed with SIGKILL in the middle of the
 * write, at a different point each time. The file opens again and holds
 * one whole generation: the last committed, or the one in flight if its
 * commit landed; never a mix, never a row twice, never a partial set.
 */
describe('a crash during the result write (scenario 23)', () => {
  const folders: string[] = [];
  afterAll(() => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

  it.each([1, 2, 3])(
    'SIGKILL in the middle of replace %i: old results or new, whole, each entity once',
    async (round) => {
      const folder = await mkdtemp(join(tmpdir(), 'compute-results-crash-'));
      folders.push(folder);
      const path = join(folder, 'warehouse.duckdb');
      let committed = -1;
      let appending = -1;
      // Killed once a replace after the first commit is under way: a little later each round.
      await runUntilKilled(
        writer,
        [path, String(ROWS)],
        (line) => {
          const [what, n] = line.split(' ');
          if (what === 'committed') committed = Number(n);
          else appending = Number(n);
          return committed >= 0 && appending > committed;
        },
        5 * round,
      );
      expect(committed).toBeGreaterThanOrEqual(0);
      // Killed with a replace under way: started, not acknowledged.
      expect(appending).toBe(committed + 1);

      const instance = await openDuckdb(path);
      try {
        const stored = await new DuckdbResultStore(instance).read('Crash', '2026-01-26');
        expect(stored).toHaveLength(ROWS);
        expect(new Set(stored.map((r) => r.entityId)).size).toBe(ROWS);
        const generations = new Set(stored.map((r) => (r.result as { generation: number }).generation));
        expect(generations.size, 'one generation, never a mix').toBe(1);
        const [generation] = [...generations];
        // The last acknowledged commit, or the replace in flight whose commit landed before the kill.
        expect([committed, committed + 1]).toContain(generation);
      } finally {
        instance.closeSync();
      }
    },
    60_000,
  );
});
