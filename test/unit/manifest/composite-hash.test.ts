import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../../../shared/manifest/build-manifest.ts';
import { changedComponents, compositeHash, type HashComponents } from '../../../shared/manifest/composite-hash.ts';
import { staticComponents, type Manifest } from '../../../shared/manifest/manifest.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

/** Composite hashes of every computation, given each one's result hash. */
function composites(manifest: Manifest, results: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of manifest.computations) {
    const dependencies = Object.fromEntries(entry.config.dependencies.map((d) => [d, results[d] ?? null]));
    out[entry.name] = compositeHash({ ...staticComponents(manifest, entry), dependencies });
  }
  return out;
}

describe('composite hash', () => {
  let project: TempProject;
  const results = { A: 'ra', B: 'rb', C: 'rc', D: 'rd' };

  beforeAll(async () => {
    project = await tempProject({
      'computations/a.js': computationSource({ name: 'A', type: 'global' }),
      'computations/b.js': computationSource({ name: 'B', type: 'global', dependencies: ['A'] }),
      'computations/c.js': computationSource({ name: 'C', type: 'global', dependencies: ['B'] }),
      'computations/d.js': computationSource({ name: 'D', type: 'global' }),
    });
  });
  afterAll(() => project.remove());

  async function manifest(env: Record<string, string> = {}): Promise<Manifest> {
    const build = await buildManifest(await loadProjectConfig(project.root, env));
    expect(build.problems).toEqual([]);
    return build.manifest;
  }

  it('changes for every computation when the epoch is bumped', async () => {
    const before = composites(await manifest(), results);
    const after = composites(await manifest({ COMPUTE_EPOCH: '1' }), results);
    for (const name of ['A', 'B', 'C', 'D']) expect(after[name]).not.toBe(before[name]);
  });

  it('changes for exactly the direct dependents when a dependency result hash changes', async () => {
    const m = await manifest();
    const before = composites(m, results);
    const after = composites(m, { ...results, A: 'ra-changed' });
    expect(Object.keys(after).filter((name) => after[name] !== before[name])).toEqual(['B']);
  });

  it('names each changed component', () => {
    const before: HashComponents = {
      code: 'c1',
      epoch: 0,
      layers: { math: 'l1' },
      rules: { risk: 'r1' },
      dependencies: { Prices: 'p1' },
      previous: 'y1',
    };
    const after: HashComponents = {
      code: 'c2',
      epoch: 1,
      layers: { math: 'l2' },
      rules: { risk: 'r1', extra: 'r9' },
      dependencies: { Prices: 'p2' },
      previous: 'y2',
    };
    expect(changedComponents(before, after)).toEqual([
      'code',
      'epoch',
      'layer:math',
      'rule:extra',
      'dependency:Prices',
      'previous',
    ]);
    expect(changedComponents(before, before)).toEqual([]);
    expect(compositeHash(before)).toBe(compositeHash({ ...before, layers: { math: 'l1' } }));
  });
});
