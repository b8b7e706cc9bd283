import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../support/temp-project.ts';

/**
 * The lint rules that keep the architecture visible, run on probe text linted
 * in place of a real file of the tree (the type-aware rules need a file the
 * TypeScript project knows). Nothing is written: a killed run leaves no probe
 * file behind, and the real file is untouched.
 */
describe('architecture rules', () => {
  const eslint = new ESLint({ cwd: PACKAGE_ROOT });

  async function lint(path: string, text: string): Promise<string[]> {
    const [result] = await eslint.lintText(text, { filePath: join(PACKAGE_ROOT, path) });
    return result!.messages.map((m) => m.message);
  }

  it('refuses a service importing another service', async () => {
    const messages = await lint(
      'planner/planner.ts',
      "import { createExecutor } from '../executor/executor.ts';\nexport const x = createExecutor;\n",
    );
    expect(messages.join('\n')).toContain('planner/ may import shared/ only, never executor/.');
  }, 60_000);

  it('refuses shared/ importing a service, outside the CLI composition root', async () => {
    const messages = await lint(
      'shared/util/hash.ts',
      "import { createWorker } from '../worker/worker.ts';\nexport const x = createWorker;\n",
    );
    expect(messages.join('\n')).toContain('shared/ is the core: it must not import a service or the CLI.');
  }, 60_000);

  it('refuses a folder of the core importing a higher layer of the core, and lets it import a lower one', async () => {
    const upward = await lint(
      'shared/model/types.ts',
      "import { runBatch } from '../batches/run-batch.ts';\nexport const x = runBatch;\n",
    );
    expect(upward.join('\n')).toContain('shared/batches/ is in a higher layer of the core');
    const downward = await lint(
      'shared/batches/rules.ts',
      "import { sha256 } from '../util/hash.ts';\nexport const x = sha256('a');\n",
    );
    expect(downward.filter((m) => m.includes('higher layer'))).toEqual([]);
  }, 60_000);

  it('refuses an import that closes a cycle, naming the modules on it', async () => {
    // shared/model/computation.ts imports ./types.ts: types.ts importing it back closes a cycle.
    const messages = await lint(
      'shared/model/types.ts',
      "import { Computation } from './computation.ts';\nexport const x = Computation;\n",
    );
    expect(messages).toContain(
      'Import cycle: shared/model/types.ts -> shared/model/computation.ts -> shared/model/types.ts. Move what both need to a lower module.',
    );
    // The file as it is on disk closes none.
    const clean = await lint('shared/model/types.ts', 'export const x = 1;\n');
    expect(clean.filter((m) => m.startsWith('Import cycle'))).toEqual([]);
  }, 60_000);

  it('refuses the environment read outside the composition root, and lets the CLI read it', async () => {
    const core = await lint('shared/util/hash.ts', 'export const x = process.env.HOME;\n');
    expect(core.join('\n')).toContain(
      'Only the composition root (cli/) reads the environment: take the value as a parameter.',
    );
    const service = await lint('executor/lease.ts', "export const x = process.env['HOME'];\n");
    expect(service.join('\n')).toContain(
      'Only the composition root (cli/) reads the environment: take the value as a parameter.',
    );
    const root = await lint('cli/open-ports.ts', 'export const x = process.env.HOME;\n');
    expect(root.filter((m) => m.includes('reads the environment'))).toEqual([]);
  }, 60_000);

  it('refuses a floating promise', async () => {
    const messages = await lint('worker/worker.ts', 'export function f(p: Promise<void>): void {\n  p;\n}\n');
    expect(messages.join('\n')).toMatch(/Promises must be awaited/);
  }, 60_000);

  it('lets a service import the core', async () => {
    const messages = await lint(
      'worker/worker.ts',
      "import { sha256 } from '../shared/util/hash.ts';\nexport const x = sha256('a');\n",
    );
    expect(messages.filter((m) => /may import shared\/ only|must not import a service/.test(m))).toEqual([]);
    // The same probe importing a service is refused: the filter above would see it.
    const refused = await lint(
      'worker/worker.ts',
      "import { createPlanner } from '../planner/planner.ts';\nexport const x = createPlanner;\n",
    );
    expect(refused.filter((m) => /may import shared\/ only/.test(m))).toHaveLength(1);
  }, 60_000);
});
