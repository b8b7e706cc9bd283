import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, json } from '../../support/cli.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

describe('a warehouse path that names no file', () => {
  it('is refused without creating the file, naming the path, the config key and a near file', async () => {
    project = await tempProject({
      'compute.config.json': JSON.stringify({ warehouse: { type: 'duckdb', path: 'data/warehous.duckdb' } }),
      'computations/count.ts': computationSource(
        { name: 'Count', type: 'global', requires: { readings: {} } },
        'return ctx.data.readings.length;',
      ),
      'data/warehouse.duckdb': '',
    });
    const result = await cli(['run', '--project', project.root, '--date', '2026-03-01', '--json']);
    expect(result.code).toBe(1);
    const output = json<{ ok: boolean; errors: Array<{ code: string; message: string }> }>(result);
    expect(output.errors).toEqual([
      {
        code: 'WAREHOUSE_NOT_FOUND',
        message: expect.stringContaining(
          `The DuckDB warehouse file ${join(project.root, 'data/warehous.duckdb')} does not exist`,
        ),
      },
    ]);
    expect(output.errors[0]!.message).toContain("warehouse.path is 'data/warehous.duckdb'");
    expect(output.errors[0]!.message).toContain("Did you mean 'data/warehouse.duckdb'?");
    expect(existsSync(join(project.root, 'data/warehous.duckdb'))).toBe(false);
    // Nothing ran, so nothing claims to be up to date later.
    const status = await cli(['status', '--project', project.root, '--json']);
    const states = json<{ computations: Array<{ name: string; status: string; date: string | null }> }>(
      status,
    ).computations;
    expect(states.map((s) => [s.name, s.status])).toEqual([['Count', 'pending']]);
  });
});

describe('a project that reads no table', () => {
  it('needs no warehouse file before its first run, for analyze, render and a dry run as for run', async () => {
    project = await tempProject({ 'computations/hello.ts': computationSource({ name: 'Hello', type: 'global' }) });
    const at = ['--date', '2026-03-01', '--project', project.root];
    for (const args of [
      ['analyze', ...at],
      ['render', '--computation', 'Hello', ...at],
      ['execute', '--dry-run', '--computation', 'Hello', ...at],
      ['validate', '--warehouse', '--project', project.root],
      ['run', ...at],
    ]) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expect(result.stderr).not.toContain('does not exist');
    }
  });
});
