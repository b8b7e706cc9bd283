import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the package under test. */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '../..');

export interface TempProject {
  root: string;
  write(path: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A user project in a fresh temporary folder outside the repository, with
 * `computation-system` linked into its node_modules as `npm install <folder>`
 * would do. `files` maps project-relative paths to contents.
 */
export async function tempProject(
  files: Record<string, string>,
  options: { link?: boolean } = {},
): Promise<TempProject> {
  const root = await mkdtemp(join(tmpdir(), 'compute-test-'));
  const write = async (path: string, text: string) => {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text);
  };
  if (options.link !== false) {
    await mkdir(join(root, 'node_modules'), { recursive: true });
    await symlink(PACKAGE_ROOT, join(root, 'node_modules', 'computation-system'), 'dir');
  }
  if (!('compute.config.json' in files)) await write('compute.config.json', '{}\n');
  for (const [path, text] of Object.entries(files)) await write(path, text);
  return { root, write, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Source of a computation file, for building fixture projects in tests. */
export function computationSource(config: Record<string, unknown>, body = 'return { ok: true };'): string {
  return `import { Computation } from 'computation-system';

export default class ${String(config.name).replace(/\W/g, '_')} extends Computation {
  static getConfig() {
    return ${JSON.stringify(config)};
  }
  async process(ctx) {
    ${body}
  }
}
`;
}
