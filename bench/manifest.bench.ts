import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildManifest } from '../shared/manifest/build-manifest.ts';
import { listSourceFiles } from '../shared/project/load-computations.ts';
import { parseProjectConfig } from '../shared/project/project-config.ts';
import { result, type Bench } from './harness.ts';

const COUNT = 1000;

/** A project of `COUNT` computations in a random DAG with shared helpers. */
async function writeProject(root: string): Promise<void> {
  await mkdir(join(root, 'computations/_lib'), { recursive: true });
  await mkdir(join(root, 'layers'), { recursive: true });
  await mkdir(join(root, 'node_modules'), { recursive: true });
  await symlink(resolve(import.meta.dirname, '..'), join(root, 'node_modules/computation-system'), 'dir');
  await writeFile(join(root, 'compute.config.json'), '{}');
  await writeFile(join(root, 'layers/math.ts'), 'export const add = (a: number, b: number): number => a + b;\n');
  for (let h = 0; h < 10; h++) {
    await writeFile(
      join(root, `computations/_lib/helper${h}.ts`),
      `import { add } from '../../layers/math.ts';\nexport const f${h} = (x: number): number => add(x, ${h});\n`,
    );
  }
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < COUNT; i++) {
    const deps = new Set<string>();
    for (let d = 0; i > 0 && d < 3; d++) deps.add(`C${Math.floor(random() * i)}`);
    const helper = i % 10;
    await writeFile(
      join(root, `computations/c${i}.ts`),
      `import { Computation, type ComputationContext } from 'computation-system';
import { f${helper} } from './_lib/helper${helper}.ts';

/** Generated computation number ${i}. */
export default class C${i} extends Computation {
  static getConfig() {
    return { name: 'C${i}', type: 'per-entity' as const, requires: { events: { lookback: ${i % 7} } }, dependencies: ${JSON.stringify([...deps])} };
  }
  async process(ctx: ComputationContext) {
    const rows = ctx.data.events ?? [];
    return { n: f${helper}(rows.length) };
  }
}
`,
    );
  }
}

export const manifestBench: Bench = {
  name: 'manifest',
  async run() {
    const base = await mkdtemp(join(tmpdir(), 'compute-bench-manifest-'));
    try {
      const raw = join(base, 'raw');
      const full = join(base, 'full');
      await writeProject(raw);
      await writeProject(full);
      // Baseline: the unavoidable part, reading and importing every file.
      const baselineStart = performance.now();
      for (const file of await listSourceFiles(join(raw, 'computations'))) {
        await readFile(file, 'utf8');
        await import(pathToFileURL(file).href);
      }
      const baselineMs = performance.now() - baselineStart;
      const start = performance.now();
      const build = await buildManifest(parseProjectConfig({}, full));
      const ms = performance.now() - start;
      if (build.problems.length > 0 || build.manifest.computations.length !== COUNT)
        throw new Error(`manifest bench: unexpected problems ${JSON.stringify(build.problems.slice(0, 3))}`);
      return result({
        name: 'manifest',
        subject: `build manifest (load, validate, passes, hashes) of ${COUNT} computations`,
        baseline: 'reading and importing the same files',
        unit: 'ms',
        value: ms,
        baselineValue: baselineMs,
        target: '<= 2x (hashing and checks add at most the cost of loading)',
        maxRatio: 2,
        notes: `${build.manifest.passes.length} passes`,
      });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  },
};
