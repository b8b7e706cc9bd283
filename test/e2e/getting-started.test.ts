import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../support/temp-project.ts';

const run = promisify(execFile);

/** The shell block of the README that follows the getting-started marker, one command a line. */
async function gettingStartedLines(): Promise<string[]> {
  const readme = await readFile(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- getting-started:');
  if (marker < 0) throw new Error('README.md has no getting-started marker');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (block === null) throw new Error('no ```sh block after the getting-started marker in README.md');
  return block[1]!.split('\n').filter((line) => line.trim() !== '');
}

/** What a clone holds after `npm ci`, as far as the README's lines use it: the packed files, built, and node_modules. */
async function standInClone(at: string): Promise<void> {
  await mkdir(at);
  for (const path of ['package.json', 'README.md', 'bin', 'dist', 'templates', 'infra/terraform', 'infra/README.md'])
    await cp(join(PACKAGE_ROOT, path), join(at, path), { recursive: true });
  await symlink(join(PACKAGE_ROOT, 'node_modules'), join(at, 'node_modules'), 'dir');
}

/** PATH without any node_modules/.bin: the machine's own node and npm, as a user's shell has them. */
function machinePath(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((folder) => !folder.includes('node_modules'))
    .join(delimiter);
}

interface Step {
  line: string;
  cwd: string;
  stdout: string;
}

/**
 * The README's getting-started lines, run as they are written, one after
 * the other in a temporary folder: from a clone (a stand-in: the packed
 * files of this repository, already built, with its node_modules) to a
 * scaffolded project whose own `npm test` passes. The package is installed
 * from the tarball `npm pack` made, never from a registry.
 */
describe('the README getting started, line by line', () => {
  let work: string;
  const steps: Step[] = [];

  beforeAll(async () => {
    if (!existsSync(join(PACKAGE_ROOT, 'dist/shared/testing/index.js')))
      throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    work = await mkdtemp(join(tmpdir(), 'compute-readme-'));
    const clone = join(work, 'computation-system');
    await standInClone(clone);
    let cwd = clone;
    for (const line of await gettingStartedLines()) {
      const command = line.replace(/\s+#.*$/, '').trim();
      const cd = /^cd (\S+)$/.exec(command);
      if (cd !== null) {
        cwd = resolve(cwd, cd[1]!);
        steps.push({ line, cwd, stdout: '' });
        continue;
      }
      const env: NodeJS.ProcessEnv = {
        PATH: machinePath(),
        HOME: process.env.HOME,
        // Offline-friendly: npm takes the packages of its cache before asking the registry.
        npm_config_prefer_offline: 'true',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        // The stand-in clone is built already; `npm pack`'s prepare would build it again from sources it lacks.
        ...(command.startsWith('npm pack') ? { npm_config_ignore_scripts: 'true' } : {}),
      };
      try {
        const { stdout } = await run('sh', ['-c', command], { cwd, env, timeout: 240_000 });
        // Colour codes (vitest colours even into a pipe) are not text a user reads.
        steps.push({ line, cwd, stdout: stdout.replace(/\u001b\[[0-9;]*m/g, '') });
      } catch (error) {
        const failed = error as { stdout?: string; stderr?: string };
        throw new Error(`README line failed in ${cwd}: ${line}\n${failed.stderr ?? ''}${failed.stdout ?? ''}`);
      }
    }
  }, 420_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const output = (prefix: string) => steps.find((step) => step.line.startsWith(prefix))?.stdout ?? '';

  it('packs the package beside the clone and scaffolds a project depending on that tarball', async () => {
    const tarball = `computation-system-${(JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version}.tgz`;
    expect(existsSync(join(work, tarball))).toBe(true);
    const manifest = JSON.parse(await readFile(join(work, 'my-project/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(manifest.dependencies).toEqual({ 'computation-system': `file:../${tarball}` });
    expect(manifest.scripts.test).toBe('vitest run');
    // Installed as a copy from the tarball, not a link to the clone.
    expect(existsSync(join(work, 'my-project/node_modules/computation-system/dist/shared/testing/index.d.ts'))).toBe(
      true,
    );
    expect(existsSync(join(work, 'my-project/node_modules/computation-system/shared'))).toBe(false);
  });

  it('validates, runs and shows the sample: three users active on 2026-01-05', () => {
    expect(output('npx compute validate')).toContain('OK: the manifest is valid.');
    expect(output('npx compute run')).toMatch(/UserActivity\s+completed[\s\S]*DailyActiveUsers\s+completed/);
    expect(output('npx compute show')).toContain('{"activeUsers":3,"byCountry":{"DE":1,"FR":1,"US":1}}');
  });

  it("passes the scaffold's own tests, which use testComputation", () => {
    expect(output('npm test')).toMatch(/Tests\s+\S*\s*2 passed/);
  });

  it('ran every line of the block, in order', () => {
    expect(steps.map((step) => step.line.split(/\s+#/)[0]!.trim())).toEqual([
      'npm pack --pack-destination ..',
      'cd ..',
      'node computation-system/bin/compute.js init my-project --package computation-system-0.1.0.tgz',
      'cd my-project',
      'npm install',
      'npx compute validate',
      'npx compute run --date 2026-01-05',
      'npx compute show --computation DailyActiveUsers --date 2026-01-05',
      'npm test',
    ]);
  });
});
