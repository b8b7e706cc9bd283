import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, tempProject, type TempProject } from '../support/temp-project.ts';

const exec = promisify(execFile);

/**
 * The `compute` command as a user starts it (bin/compute.js in a child
 * process, worker threads included): stderr holds the tool's own progress
 * and nothing else, no Node warnings.
 */
describe('compute prints only its own output', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await tempProject({});
    for (const item of ['computations', 'rules', 'layers', 'compute.config.json'])
      await cp(join(PACKAGE_ROOT, 'examples/portfolio', item), join(project.root, item), { recursive: true });
    await exec(process.execPath, [
      join(PACKAGE_ROOT, 'examples/portfolio/generate.ts'),
      join(project.root, 'warehouse.duckdb'),
    ]);
  }, 120_000);
  afterAll(() => project.remove());

  const compute = (...args: string[]) =>
    exec(process.execPath, [join(PACKAGE_ROOT, 'bin/compute.js'), ...args, '--project', project.root], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });

  it.each([
    ['validate'],
    ['run', '--date', '2026-01-02', '--to', '2026-01-03'],
    ['analyze', '--date', '2026-01-03'],
    ['status'],
    ['graph'],
  ])(
    'compute %s: no warning lines on stderr',
    async (...args) => {
      const { stderr } = await compute(...args);
      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      expect(lines.filter((line) => /Warning|\(node:\d+\)|--trace-warnings/i.test(line))).toEqual([]);
    },
    120_000,
  );
});
