import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizedSourceHash, SourceHasher } from '../../../shared/manifest/source-hash.ts';

const base = `
import { Computation } from 'computation-system';
import { double } from './helper.ts';

export default class Total extends Computation {
  static getConfig() {
    return { name: 'Total', type: 'global' };
  }
  async process(ctx: { data: Record<string, unknown[]> }): Promise<{ n: number }> {
    const rows = ctx.data.trades;
    return { n: double(rows.length) };
  }
}
`;

describe('normalizedSourceHash', () => {
  const original = normalizedSourceHash(base, 'total.ts');

  it('ignores comments', () => {
    const commented = base.replace('const rows', '// count every trade\n    /* block */ const rows');
    expect(normalizedSourceHash(commented, 'total.ts')).toBe(original);
  });

  it('ignores whitespace, quotes, optional semicolons and trailing commas', () => {
    const reformatted = base
      .replace(/;\n/g, '\n')
      .replace(/'/g, '"')
      .replace(
        "{ name: 'Total', type: 'global' }".replace(/'/g, '"'),
        '{\n      name: "Total",\n      type: "global",\n    }',
      )
      .replace(/ {2}/g, '\t');
    expect(reformatted).not.toBe(base);
    expect(normalizedSourceHash(reformatted, 'total.ts')).toBe(original);
  });

  it('ignores type annotations, which do not change what runs', () => {
    const untyped = base.replace(': { data: Record<string, unknown[]> }): Promise<{ n: number }>', ')');
    expect(normalizedSourceHash(untyped, 'total.ts')).toBe(original);
  });

  it('changes on a logic edit', () => {
    expect(normalizedSourceHash(base.replace('rows.length', 'rows.length + 1'), 'total.ts')).not.toBe(original);
    expect(
      normalizedSourceHash(base.replace("'trades'", "'orders'").replace('data.trades', 'data.orders'), 'total.ts'),
    ).not.toBe(original);
  });

  it('changes when a string literal changes', () => {
    expect(normalizedSourceHash(base.replace("name: 'Total'", "name: 'Total2'"), 'total.ts')).not.toBe(original);
  });

  it('reads plain JavaScript and CommonJS too', () => {
    expect(normalizedSourceHash('module.exports = 1 // one', 'a.js')).toBe(
      normalizedSourceHash('module.exports = 1;', 'a.js'),
    );
  });
});

describe('SourceHasher', () => {
  async function project(files: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'compute-hash-'));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    }
    return root;
  }

  const files = {
    'computations/total.ts': base,
    'computations/helper.ts':
      "import { factor } from './deep/factor.js';\nexport const double = (x: number) => x * factor;\n",
    'computations/deep/factor.ts': 'export const factor = 2;\n',
  };

  it('changes the code hash when a helper imported two levels down changes', async () => {
    const before = await project(files);
    const after = await project({ ...files, 'computations/deep/factor.ts': 'export const factor = 3;\n' });
    const sameAgain = await project({
      ...files,
      'computations/deep/factor.ts': '// the factor\nexport const factor = 2\n',
    });
    const hash = (root: string) => new SourceHasher(root).module(join(root, 'computations/total.ts')).code;
    expect(hash(after)).not.toBe(hash(before));
    expect(hash(sameAgain)).toBe(hash(before));
  });

  it('lists modules in boundary folders instead of folding them into the code hash', async () => {
    const layered = {
      'computations/total.ts': "import { scale } from '../layers/scaling.ts';\nexport const x = scale(1);\n",
      'layers/scaling.ts': 'export const scale = (x) => x * 3;\n',
    };
    const one = await project(layered);
    const two = await project({ ...layered, 'layers/scaling.ts': 'export const scale = (x) => x * 4;\n' });
    const module = (root: string) =>
      new SourceHasher(root).module(join(root, 'computations/total.ts'), [join(root, 'layers')]);
    expect(module(one).boundaryModules).toEqual([join(one, 'layers/scaling.ts')]);
    expect(module(two).code).toBe(module(one).code);
  });
});
