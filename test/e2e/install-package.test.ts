import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, tempProject, type TempProject } from '../support/temp-project.ts';

const run = promisify(execFile);

/**
 * The package as a user gets it: packed into a tarball, installed into a
 * project outside the repository, its `compute` bin run on TypeScript
 * computations. A symlinked install would hide a missing build output.
 */
describe('installed from a tarball into a user project', () => {
  let packDir: string;
  let project: TempProject;

  beforeAll(async () => {
    if (!existsSync(join(PACKAGE_ROOT, 'dist/shared/index.js')))
      throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    packDir = await mkdtemp(join(tmpdir(), 'compute-pack-'));
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
      cwd: PACKAGE_ROOT,
    });
    const tarball = join(packDir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
    project = await tempProject(
      {
        'package.json': JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
        'compute.config.json': JSON.stringify({ epoch: 2 }),
        'computations/daily-active.ts': `import { Computation, type ComputationContext } from 'computation-system';
import { countRows } from './_lib/count.ts';

export default class UserDailyActive extends Computation {
  static getConfig() {
    return { name: 'UserDailyActive', type: 'per-entity' as const, requires: { user_logins: { lookback: 0, mandatory: true } } };
  }
  async process(ctx: ComputationContext): Promise<{ logins: number }> {
    this.log('INFO', 'counting');
    return { logins: countRows(ctx.data.user_logins ?? []) };
  }
}
`,
        'computations/_lib/count.ts': 'export const countRows = (rows: unknown[]): number => rows.length;\n',
        'computations/summary.ts': `import { Computation } from 'computation-system';

export default class Summary extends Computation {
  static getConfig() {
    return { name: 'Summary', type: 'global' as const, dependencies: ['UserDailyActive'] };
  }
  async process() {
    return { ok: true };
  }
}
`,
      },
      { link: false },
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
      cwd: project.root,
      timeout: 120_000,
    });
  }, 180_000);

  afterAll(async () => {
    await project?.remove();
    if (packDir !== undefined) await rm(packDir, { recursive: true, force: true });
  });

  it('ships compiled JavaScript, not TypeScript sources', () => {
    const installed = join(project.root, 'node_modules/computation-system');
    expect(existsSync(join(installed, 'dist/shared/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/shared/index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'shared'))).toBe(false);
  });

  it('runs `compute validate` on .ts computations', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(project.root, 'node_modules/.bin/compute'), 'validate', '--json'],
      { cwd: project.root },
    );
    const output = JSON.parse(stdout) as { ok: boolean; computations: Array<{ name: string; pass: number }> };
    expect(output.ok).toBe(true);
    expect(output.computations.map((c) => [c.name, c.pass])).toEqual([
      ['UserDailyActive', 0],
      ['Summary', 1],
    ]);
  });

  it('exits 1 with the problem when a computation is broken', async () => {
    await project.write(
      'computations/bad.ts',
      "import { Computation } from 'computation-system';\nexport default class Bad extends Computation {\n  static getConfig() { return { name: 'Bad', type: 'global' as const, dependencies: ['Sumary'] }; }\n  process() { return null; }\n}\n",
    );
    const failure = await run(process.execPath, [join(project.root, 'node_modules/.bin/compute'), 'validate'], {
      cwd: project.root,
    }).catch((e: unknown) => e as { code: number; stderr: string });
    await rm(join(project.root, 'computations/bad.ts'));
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toContain(
      "depends on 'Sumary', which is not a computation. Did you mean 'Summary'?",
    );
  });
});
