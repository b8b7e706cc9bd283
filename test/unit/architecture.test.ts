import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../support/temp-project.ts';

/** The lint rules that keep the architecture visible, run on real files of the tree. */
describe('architecture rules', () => {
  async function lint(path: string, text: string): Promise<string[]> {
    const file = join(PACKAGE_ROOT, path);
    await writeFile(file, text);
    try {
      const [result] = await new ESLint({ cwd: PACKAGE_ROOT }).lintFiles([file]);
      return result!.messages.map((m) => m.message);
    } finally {
      await rm(file, { force: true });
    }
  }

  it('refuses a service importing another service', async () => {
    const messages = await lint(
      'planner/zz-lint-probe.ts',
      "import { createExecutor } from '../executor/executor.ts';\nexport const x = createExecutor;\n",
    );
    expect(messages.join('\n')).toContain('planner/ may import shared/ only, never executor/.');
  }, 60_000);

  it('refuses shared/ importing a service, outside the CLI composition root', async () => {
    const messages = await lint(
      'shared/zz-lint-probe.ts',
      "import { createWorker } from '../worker/worker.ts';\nexport const x = createWorker;\n",
    );
    expect(messages.join('\n')).toContain('shared/ is the core: it must not import a service.');
  }, 60_000);

  it('refuses a floating promise', async () => {
    const messages = await lint('worker/zz-lint-probe.ts', 'export function f(p: Promise<void>): void {\n  p;\n}\n');
    expect(messages.join('\n')).toMatch(/Promises must be awaited/);
  }, 60_000);
});
