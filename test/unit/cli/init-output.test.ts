import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.ts';
import { PACKAGE_ROOT } from '../../support/temp-project.ts';

describe('compute init', () => {
  let work: string | undefined;
  afterEach(() => (work === undefined ? undefined : rm(work, { recursive: true, force: true })));

  it('names next steps and files that exist: in the new project, or in the package once installed', async () => {
    work = await mkdtemp(join(tmpdir(), 'compute-init-text-'));
    const result = await cli(['init', 'my-project'], { cwd: work });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  cd my-project\n  npm install\n  npx compute validate\n');
    const named = [
      ...result.stdout.matchAll(/(?:^|\s)((?:node_modules\/computation-system\/)?[\w-]+\/[\w./-]+\.\w+)/g),
    ].map((m) => m[1]!);
    expect(named).toContain('deploy/main.tf');
    expect(named).toContain('node_modules/computation-system/infra/README.md');
    for (const path of named) {
      // After npm install, node_modules/computation-system is this package.
      const where = path.startsWith('node_modules/computation-system/')
        ? join(PACKAGE_ROOT, path.slice('node_modules/computation-system/'.length))
        : join(work, 'my-project', path);
      expect(existsSync(where), path).toBe(true);
    }
  });

  const dependencyOf = async (project: string) =>
    (JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
      .dependencies['computation-system'];

  it('from a checkout, depends on the checkout by a file: path; --package names a tarball, a folder or a range', async () => {
    work = await mkdtemp(join(tmpdir(), 'compute-init-package-'));
    expect((await cli(['init', 'plain'], { cwd: work })).code).toBe(0);
    expect(await dependencyOf(join(work, 'plain'))).toBe(`file:${relative(join(work, 'plain'), PACKAGE_ROOT)}`);
    await writeFile(join(work, 'computation-system-0.1.0.tgz'), 'packed');
    expect((await cli(['init', 'packed', '--package', 'computation-system-0.1.0.tgz'], { cwd: work })).code).toBe(0);
    expect(await dependencyOf(join(work, 'packed'))).toBe('file:../computation-system-0.1.0.tgz');
    expect((await cli(['init', 'nested/deeper', '--package', PACKAGE_ROOT], { cwd: work })).code).toBe(0);
    expect(await dependencyOf(join(work, 'nested/deeper'))).toBe(
      `file:${relative(join(work, 'nested/deeper'), PACKAGE_ROOT)}`,
    );
    expect((await cli(['init', 'ranged', '--package', '^0.2.0'], { cwd: work })).code).toBe(0);
    expect(await dependencyOf(join(work, 'ranged'))).toBe('^0.2.0');
  });

  it('refuses a --package path that does not exist, naming where it looked, and writes nothing', async () => {
    work = await mkdtemp(join(tmpdir(), 'compute-init-package-'));
    const result = await cli(['init', 'p', '--package', './computation-system-9.tgz'], { cwd: work });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `compute init: --package ./computation-system-9.tgz: no such file or folder (looked at ${join(work, 'computation-system-9.tgz')})`,
    );
    expect(existsSync(join(work, 'p'))).toBe(false);
  });

  it('runs init on a Node older than 22 (the system Node 20) and names what the other commands need', async (context) => {
    const older = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((folder) => folder !== '' && !folder.includes('node_modules'))
      .map((folder) => join(folder, 'node'))
      .find((candidate) => existsSync(candidate));
    const version = older === undefined ? '' : execFileSync(older, ['--version'], { encoding: 'utf8' }).trim();
    if (older === undefined || !/^v(20|21|22\.(\d|1[0-7])\.)/.test(version)) {
      context.skip(`no Node between 20 and 22.17 on PATH (found ${version || 'none'}): nothing older to run init on`);
      return;
    }
    work = await mkdtemp(join(tmpdir(), 'compute-init-node20-'));
    const bin = join(PACKAGE_ROOT, 'bin/compute.js');
    const init = await promisify(execFile)(older, [bin, 'init', 'old-node'], { cwd: work });
    expect(init.stdout).toContain('Created a project in');
    expect(existsSync(join(work, 'old-node/warehouse.duckdb'))).toBe(true);
    const refused = await promisify(execFile)(older, [bin, 'validate'], { cwd: join(work, 'old-node') }).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toContain(
      `computation-system needs Node.js 22.18 or newer (24 LTS recommended) for compute validate; this is ${version}.`,
    );
    expect((refused as { stderr: string }).stderr).toContain('`compute init` runs on this Node.');
  });
});
