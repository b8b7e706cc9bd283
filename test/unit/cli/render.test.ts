import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckdb } from '../../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { duckdbFixtureSql } from '../../contract/warehouse-fixture.ts';
import { cli, json } from '../../support/cli.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject;

beforeAll(async () => {
  project = await tempProject({
    'compute.config.json': JSON.stringify({ entityField: 'user_id' }),
    'computations/positions.js': computationSource({
      name: 'Positions',
      type: 'per-entity',
      requires: { trades: { lookback: 2, mandatory: true }, users: { dateField: null } },
    }),
    'computations/typo.js': computationSource({
      name: 'Typo',
      type: 'per-entity',
      requires: { trade: {}, logins: { dateField: 'tss' } },
    }),
  });
  const instance = await openDuckdb(join(project.root, 'warehouse.duckdb'));
  const connection = await instance.connect();
  for (const sql of duckdbFixtureSql()) await connection.run(sql);
  connection.closeSync();
  instance.closeSync();
});
afterAll(() => project.remove());

describe('compute render', () => {
  it('prints the validated SQL per required table, with an unknown estimate on DuckDB', async () => {
    const result = await cli([
      'render',
      '--computation',
      'Positions',
      '--date',
      '2026-03-01',
      '--estimate',
      '--json',
      '--project',
      project.root,
    ]);
    expect(result.code).toBe(0);
    const output = json<{
      warehouse: string;
      tables: Array<{ table: string; sql: string; params: unknown; estimate: { bytes: number | null } }>;
      totalBytes: number | null;
    }>(result);
    expect(output.warehouse).toBe('duckdb');
    expect(output.tables.map((t) => t.table)).toEqual(['trades', 'users']);
    expect(output.tables[0]!.sql).toContain('WHERE "date" BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)');
    expect(output.tables[0]!.params).toEqual({ from: '2026-02-27', to: '2026-03-01' });
    expect(output.tables[1]!.sql).toBe(
      'SELECT "user_id", "profile" FROM "users" WHERE "user_id" IS NOT NULL ORDER BY CAST("user_id" AS VARCHAR) COLLATE "binary"',
    );
    expect(output.tables[0]!.estimate.bytes).toBeNull();
    expect(output.totalBytes).toBeNull();
    const text = await cli([
      'render',
      '--computation',
      'Positions',
      '--date',
      '2026-03-01',
      '--estimate',
      '--project',
      project.root,
    ]);
    expect(text.stdout).toContain('-- total scanned: unknown');
  });

  it('prints the validation errors instead of SQL, exit 1', async () => {
    const result = await cli(['render', '--computation', 'Typo', '--date', '2026-03-01', '--project', project.root]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "requires table 'trade', which does not exist in the warehouse. Did you mean 'trades'?",
    );
    expect(result.stderr).toContain("it has no column 'tss' (the date column");
    expect(result.stderr).toContain("Did you mean 'ts'?");
  });

  it('suggests the nearest computation name, and needs --computation', async () => {
    const unknown = await cli([
      'render',
      '--computation',
      'Position',
      '--date',
      '2026-03-01',
      '--project',
      project.root,
    ]);
    // A name the project lacks is bad usage (exit 2), with the nearest name.
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("No computation named 'Position' (--computation). Did you mean 'Positions'?");
    expect((await cli(['render', '--date', '2026-03-01', '--project', project.root])).code).toBe(2);
  });
});

describe('compute render with several computations', () => {
  it('takes a comma-separated --computation: each one headed, exit 1 when any cannot be queried', async () => {
    const args = ['render', '--computation', 'Positions, Typo', '--date', '2026-03-01', '--project', project.root];
    const text = await cli(args);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('-- ===== Positions on 2026-03-01 =====\n-- trades (mandatory)\n');
    expect(text.stderr).toContain('Typo cannot be queried on 2026-03-01:\n  - [UNKNOWN_TABLE]');
    const output = json<{
      date: string;
      computations: Array<{ computation: string; tables: unknown[]; errors: unknown[] }>;
    }>(await cli([...args, '--json']));
    expect(output.date).toBe('2026-03-01');
    expect(output.computations.map((c) => [c.computation, c.tables.length, c.errors.length > 0])).toEqual([
      ['Positions', 2, false],
      ['Typo', 0, true],
    ]);
  });

  it('show and execute take one computation and say so for a list (exit 2)', async () => {
    for (const command of ['show', 'execute']) {
      const result = await cli([
        command,
        '--computation',
        'Positions,Typo',
        '--date',
        '2026-03-01',
        '--project',
        project.root,
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`compute ${command} takes one computation; got --computation Positions,Typo.`);
    }
  });
});

describe('compute validate --warehouse', () => {
  it('checks every computation against the warehouse and reports all problems at once', async () => {
    const result = await cli(['validate', '--warehouse', '--json', '--project', project.root]);
    expect(result.code).toBe(1);
    const output = json<{ ok: boolean; errors: Array<{ code: string }> }>(result);
    expect(output.errors.map((e) => e.code)).toEqual(['UNKNOWN_TABLE', 'UNKNOWN_COLUMN']);
  });
});
