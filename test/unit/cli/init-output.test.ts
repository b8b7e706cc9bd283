import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
