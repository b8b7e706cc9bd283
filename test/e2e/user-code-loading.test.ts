import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, tempProject, type TempProject } from '../support/temp-project.ts';

const exec = promisify(execFile);

/**
 * Issue 20, item 8: bad user code ends in a clear message naming the file,
 * without a stack, and within a time limit; nothing is stored. The CLI as
 * a user starts it (bin/compute.js in a child process).
 */
const classWith = (getConfig: string, top = '') => `${top}
export default class Bad {
  static getConfig() { ${getConfig} }
  async process() { return 1; }
}
`;

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function compute(files: Record<string, string>, args: string[], env: Record<string, string> = {}) {
  project = await tempProject(files, { link: false });
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(PACKAGE_ROOT, 'bin/compute.js'), ...args, '--project', project.root],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);

describe('bad user code in the CLI', () => {
  it.each([
    ['throw null in getConfig', classWith('throw null;'), 'getConfig() threw: null was thrown'],
    ['throw "text" in getConfig', classWith('throw "no config here";'), 'getConfig() threw: no config here'],
    [
      'a getter in the config that throws',
      classWith("return { name: 'Bad', type: 'global', get requires() { throw new Error('getter exploded'); } };"),
      'getConfig() threw: getter exploded',
    ],
    ['throw of an object at import', classWith("return { name: 'Bad' };", 'throw { reason: 42 };'), '{"reason":42}'],
  ])(
    '%s: a message naming the file, no stack, exit 1',
    async (_label, source, text) => {
      const result = await compute({ 'computations/bad.js': source }, ['validate']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('computations/bad.js');
      expect(result.stderr).toContain(text);
      expect(result.stderr).not.toContain('TypeError');
      noStack(result.stderr);
    },
    60_000,
  );

  it.each([
    ['a loop at import', classWith("return { name: 'Bad' };", 'while (true) {}'), 'did not finish loading within 2 s'],
    ['a loop in getConfig', classWith('while (true) {}'), 'did not answer getConfig() within 2 s'],
    [
      'a top-level await that never settles',
      classWith("return { name: 'Bad' };", 'await new Promise(() => {});'),
      'never finished loading',
    ],
  ])(
    '%s: stops within the time limit naming the file, and run stores nothing',
    async (_label, source, text) => {
      const files = { 'computations/bad.js': source, 'compute.config.json': '{"loadTimeoutSeconds": 2}' };
      const validate = await compute(files, ['validate']);
      expect(validate.code).toBe(1);
      expect(validate.stderr).toContain(`computations/bad.js ${text}`);
      noStack(validate.stderr);
      const run = await compute(files, ['run', '--date', '2026-01-26']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('computations/bad.js');
      // Nothing stored: no state folder was made.
      expect(await readdir(project!.root)).not.toContain('.compute');
    },
    120_000,
  );

  it('a compute.config.json that is a folder: a message naming it, no EISDIR stack', async () => {
    project = await tempProject({}, { link: false });
    await rm(join(project.root, 'compute.config.json'));
    await mkdir(join(project.root, 'compute.config.json'));
    const { stderr, code } = await exec(
      process.execPath,
      [join(PACKAGE_ROOT, 'bin/compute.js'), 'validate', '--project', project.root],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    ).then(
      (done) => ({ ...done, code: 0 }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(code).toBe(1);
    expect(stderr).toContain('compute.config.json cannot be read: it is a folder, not a file');
    expect(stderr).not.toContain('EISDIR');
    noStack(stderr);
  }, 60_000);
});
