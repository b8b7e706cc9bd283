import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDuckdb } from '../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { UserError } from '../../shared/errors.ts';
import { stringFlag } from '../args.ts';
import { printJson, type Command } from '../command.ts';

interface OwnPackage {
  root: string;
  version: string;
  /** The vitest range the package itself is tested with: the scaffold's tests use the same. */
  vitest: string;
}

/** The package's own folder and version: found upwards from this file, in the sources (cli/commands) and in dist/. */
function ownPackage(): OwnPackage {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      const { name, version, devDependencies } = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        version?: string;
        devDependencies?: Record<string, string>;
      };
      if (name === 'computation-system' && version !== undefined)
        return { root: folder, version, vitest: devDependencies?.vitest ?? '^5.1.0' };
    }
    const parent = dirname(folder);
    if (parent === folder) throw new Error('compute init: cannot find the computation-system package folder');
    folder = parent;
  }
}

/** Template files npm would drop or misread in a package, stored under other names. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore', dockerignore: '.dockerignore', npmrc: '.npmrc' };

/** An npm package name from a folder name: lowercase, URL-safe. */
function packageName(folder: string): string {
  const name = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return name === '' ? 'computations' : name;
}

async function listFiles(root: string): Promise<string[]> {
  const items = await readdir(root, { recursive: true, withFileTypes: true });
  return items
    .filter((item) => !item.isDirectory())
    .map((item) => relative(root, join(item.parentPath, item.name)))
    .sort();
}

/** A path as npm writes it after `file:`: relative to the project, with forward slashes. */
function fileSpec(target: string, path: string): string {
  const relativePath = relative(target, path).split(sep).join('/');
  return `file:${relativePath.startsWith('.') ? relativePath : `./${relativePath}`}`;
}

/**
 * What the new project's package.json names as `computation-system`:
 * - `--package PATH` (a packed tarball or a package folder): a `file:` path to it;
 *   `--package SPEC` (anything else, e.g. `^0.2.0`): that, verbatim.
 * - run from an installed package (a `node_modules` folder, `npx -p computation-system`): its
 *   version from the registry, `^VERSION`.
 * - run from a checkout of the repository: a `file:` path to the checkout, which must be built
 *   (`npm ci` builds dist/); `npm pack` and `--package` give a tarball instead, as the registry would.
 */
function dependencySpec(own: OwnPackage, target: string, cwd: string, flag: string | undefined): string {
  if (flag !== undefined) {
    const path = resolve(cwd, flag);
    if (existsSync(path)) {
      if (statSync(path).isDirectory() && !existsSync(join(path, 'package.json')))
        throw new UserError(
          'INIT_BAD_PACKAGE',
          `compute init: --package ${flag} is a folder without a package.json; give the computation-system folder or a tarball made by npm pack`,
        );
      return fileSpec(target, path);
    }
    if (/^[./~]|\.tgz$|[\\/]/.test(flag))
      throw new UserError(
        'INIT_BAD_PACKAGE',
        `compute init: --package ${flag}: no such file or folder (looked at ${path}); make the tarball with npm pack in the computation-system checkout`,
      );
    return flag;
  }
  if (own.root.split(sep).includes('node_modules')) return `^${own.version}`;
  if (!existsSync(join(own.root, 'dist', 'shared', 'index.js')))
    throw new UserError(
      'INIT_UNBUILT_CHECKOUT',
      `compute init: the computation-system checkout at ${own.root} is not built (no dist/); run npm ci there first`,
    );
  return fileSpec(target, own.root);
}

/** Loads the sample tables into a DuckDB file, so `compute run` works before any warehouse is set up. */
async function loadSample(sqlFile: string, database: string): Promise<void> {
  const instance = await openDuckdb(database);
  const connection = await instance.connect();
  try {
    await connection.run(await readFile(sqlFile, 'utf8'));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export const initCommand: Command = {
  name: 'init',
  summary:
    'scaffold a project in DIR (default: here): package.json, config, example computations and data, Dockerfile, deploy/',
  flags: {
    package: {
      type: 'string',
      description:
        'the computation-system the project depends on: a tarball from npm pack, a package folder, or an npm version range (default: this package: its version when installed, a file: path when run from a checkout)',
    },
  },
  async run(input) {
    const target = resolve(input.io.cwd, input.positionals[0] ?? '.');
    const own = ownPackage();
    const source = own.root;
    const dependency = dependencySpec(own, target, input.io.cwd, stringFlag(input.flags, 'package'));
    const template = join(source, 'templates', 'project');
    const files = (await listFiles(template)).map((file) => ({ from: file, to: RENAMED[file] ?? file }));
    const written = ['package.json', ...files.map((f) => f.to), 'warehouse.duckdb'];
    const clashes = written.filter((file) => existsSync(join(target, file)));
    if (clashes.length > 0)
      throw new UserError(
        'INIT_WOULD_OVERWRITE',
        `compute init: ${target} already has ${clashes.join(', ')}; choose an empty or new folder (compute init my-project)`,
      );
    await mkdir(target, { recursive: true });
    await cp(template, target, { recursive: true });
    for (const [from, to] of Object.entries(RENAMED)) {
      if (existsSync(join(target, from))) await rename(join(target, from), join(target, to));
    }
    const manifest = {
      name: packageName(target),
      version: '0.1.0',
      private: true,
      type: 'module',
      description: 'Computations run by computation-system',
      scripts: {
        validate: 'compute validate',
        // The project's own tests (test/*.test.ts), which run computations with testComputation.
        test: 'vitest run',
        // The Scheduler jobs deploy/ creates, one per schedule time: run again after changing a schedule.
        schedules: 'compute schedules --format tfvars > deploy/schedules.auto.tfvars.json',
      },
      engines: { node: '>=22.18' },
      dependencies: { 'computation-system': dependency },
      // node: runs compute on Node 24 through npm and npx whatever Node the machine has; the image has its own.
      devDependencies: { node: '^24.9.0', vitest: own.vitest },
    };
    await writeFile(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await loadSample(join(target, 'data', 'sample.sql'), join(target, 'warehouse.duckdb'));
    if (input.flags.json === true) {
      printJson(input, { root: target, files: written.sort() });
      return 0;
    }
    const at = relative(input.io.cwd, target) || '.';
    input.io.stdout(
      `Created a project in ${target}:\n${written.map((file) => `  ${file}`).join('\n')}\n\n` +
        `Next:\n` +
        (at === '.' ? '' : `  cd ${at}\n`) +
        `  npm install\n  npx compute validate\n  npx compute run --date 2026-01-05\n  npx compute show --computation DailyActiveUsers --date 2026-01-05\n  npm test\n\n` +
        `Deploying to Google Cloud: deploy/main.tf, then "Deploy to Google Cloud" in node_modules/computation-system/README.md;\n` +
        `what the Terraform module creates and why: node_modules/computation-system/infra/README.md.\n`,
    );
    return 0;
  },
};
