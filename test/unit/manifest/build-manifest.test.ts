import { afterEach, describe, expect, it } from 'vitest';
import { buildManifest } from '../../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function build(files: Record<string, string>) {
  project = await tempProject(files);
  return buildManifest(await loadProjectConfig(project.root));
}

const messages = (problems: Array<{ message: string }>) => problems.map((p) => p.message);

describe('computation config validation', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['missing name', { type: 'global' }, "field 'name' must be a string"],
    ['bad name', { name: 'has space', type: 'global' }, "field 'name' must start with a letter"],
    ['bad type', { name: 'T', type: 'perEntity' }, "field 'type' must be 'per-entity' or 'global'"],
    [
      'negative lookback',
      { name: 'T', type: 'global', requires: { trades: { lookback: -1 } } },
      "field 'requires.trades.lookback' must be 0 or more",
    ],
    [
      'fractional lookback',
      { name: 'T', type: 'global', requires: { trades: { lookback: 1.5 } } },
      "field 'requires.trades.lookback' must be a whole number of days",
    ],
    [
      'mandatory not boolean',
      { name: 'T', type: 'global', requires: { trades: { mandatory: 'yes' } } },
      "field 'requires.trades.mandatory' must be true or false",
    ],
    [
      'dateField number',
      { name: 'T', type: 'global', requires: { trades: { dateField: 3 } } },
      "field 'requires.trades.dateField' must be a column name or null",
    ],
    [
      'empty columns',
      { name: 'T', type: 'global', requires: { trades: { columns: [] } } },
      "field 'requires.trades.columns' must name at least one column",
    ],
    [
      'misspelt requirement key',
      { name: 'T', type: 'global', requires: { trades: { lookbak: 2 } } },
      "field 'requires.trades.lookbak' is not a known option. Did you mean 'lookback'?",
    ],
    [
      'misspelt top-level key',
      { name: 'T', type: 'global', dependancies: [] },
      "field 'dependancies' is not a known option. Did you mean 'dependencies'?",
    ],
    [
      'bad schedule time',
      { name: 'T', type: 'global', schedule: { time: '25:00' } },
      "field 'schedule.time' must be a time of day as 'HH:MM'",
    ],
    [
      'bad frequency',
      { name: 'T', type: 'global', schedule: { frequency: 'hourly' } },
      "field 'schedule.frequency' must be 'daily', 'weekly' or 'monthly'",
    ],
    ['zero ttl', { name: 'T', type: 'global', ttlDays: 0 }, "field 'ttlDays' must be at least 1"],
    [
      'isHistorical string',
      { name: 'T', type: 'global', isHistorical: 'true' },
      "field 'isHistorical' must be true or false",
    ],
    [
      'dependencies not a list',
      { name: 'T', type: 'global', dependencies: 'A' },
      "field 'dependencies' must be a list of computation names",
    ],
  ];

  it.each(bad)('%s: names the file, the computation and the field', async (_label, config, expected) => {
    const { problems } = await build({ 'computations/t.js': computationSource(config) });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('CONFIG_INVALID');
    expect(problems[0]!.message).toContain('computations/t.js');
    expect(problems[0]!.message).toContain(expected);
  });

  it('fills the defaults of the seed', async () => {
    const { manifest, problems } = await build({
      'computations/t.js': computationSource({ name: 'T', type: 'per-entity', requires: { trades: {} } }),
    });
    expect(problems).toEqual([]);
    const config = manifest.byName.get('T')!.config;
    expect(config.schedule).toEqual({ frequency: 'daily', time: '02:00', day: null });
    expect(config.ttlDays).toBe(365);
    expect(config.isHistorical).toBe(false);
    expect(config.requires.trades).toEqual({ lookback: 0, mandatory: false });
    expect(config.dependencies).toEqual([]);
  });
});

describe('buildManifest', () => {
  it('reports every kind of problem at once', async () => {
    const { problems } = await build({
      'computations/a.js': computationSource({ name: 'A', type: 'global', dependencies: ['B'] }),
      'computations/b.js': computationSource({ name: 'B', type: 'global', dependencies: ['A'] }),
      'computations/c.js': computationSource({ name: 'Prices', type: 'global' }),
      'computations/c2.js': computationSource({ name: 'Prices', type: 'global' }),
      'computations/d.js': computationSource({ name: 'D', type: 'global', dependencies: ['Prics'], rules: ['risk'] }),
      'computations/e.js': computationSource({ name: 'E', type: 'sometimes' }),
      'computations/f.js': 'export const notAComputation = 1;\n',
      'computations/g.js': 'export default class Broken {',
      'rules/risky.js': 'export const limit = 1;\n',
    });
    expect(problems.map((p) => p.code).sort()).toEqual([
      'CONFIG_INVALID',
      'CYCLE',
      'DUPLICATE_NAME',
      'LOAD_FAILED',
      'NO_COMPUTATION',
      'UNKNOWN_DEPENDENCY',
      'UNKNOWN_RULE',
    ]);
    const text = messages(problems).join('\n');
    expect(text).toContain('Dependency cycle: A -> B -> A');
    expect(text).toContain("Computation name 'Prices' is defined 2 times: computations/c.js, computations/c2.js");
    expect(text).toContain("depends on 'Prics', which is not a computation. Did you mean 'Prices'?");
    expect(text).toContain("uses rule 'risk'");
    expect(text).toContain("Did you mean 'risky'?");
    expect(text).toContain('computations/f.js exports no computation class');
    expect(text).toContain('computations/g.js:1:30: syntax error: Unexpected token');
  });

  it('accepts a named export and plain JavaScript next to TypeScript', async () => {
    const { manifest, problems } = await build({
      'computations/one.ts':
        "import { Computation } from 'computation-system';\nexport class One extends Computation {\n  static getConfig() { return { name: 'One', type: 'global' as const }; }\n  async process(): Promise<number> { return 1; }\n}\n",
      'computations/two.js': computationSource({ name: 'Two', type: 'global', dependencies: ['One'] }),
    });
    expect(problems).toEqual([]);
    expect(manifest.passes).toEqual([['One'], ['Two']]);
    expect(manifest.byName.get('One')!.dependents).toEqual(['Two']);
  });

  it('records layer and rule hashes as separate components', async () => {
    const { manifest, problems } = await build({
      'computations/t.js': computationSource({ name: 'T', type: 'global', rules: ['risk'] }).replace(
        "import { Computation } from 'computation-system';",
        "import { Computation } from 'computation-system';\nimport { scale } from '../layers/scaling.js';",
      ),
      'layers/scaling.js': 'export const scale = (x) => x;\n',
      'rules/risk.js': 'export const limit = 10;\n',
    });
    expect(problems).toEqual([]);
    const entry = manifest.byName.get('T')!;
    expect(Object.keys(entry.layerHashes)).toEqual(['scaling']);
    expect(Object.keys(entry.ruleHashes)).toEqual(['risk']);
    expect(entry.ruleHashes.risk).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says so when the computations folder is empty or missing', async () => {
    const { problems } = await build({});
    expect(problems.map((p) => p.code)).toEqual(['NO_COMPUTATIONS']);
  });

  it('keeps the code hash across a comment edit and changes it on a logic edit', async () => {
    const source = computationSource({ name: 'T', type: 'global' }, 'return { n: 1 };');
    const first = await build({ 'computations/t.js': source });
    const hash = first.manifest.byName.get('T')!.codeHash;
    await project!.write(
      'computations/t.js',
      `// Totals, explained\n${source.replace('return { n: 1 };', 'return {n:1}')}`,
    );
    const commented = await buildManifest(await loadProjectConfig(project!.root));
    expect(commented.manifest.byName.get('T')!.codeHash).toBe(hash);
    await project!.write('computations/t.js', source.replace('n: 1', 'n: 2'));
    const edited = await buildManifest(await loadProjectConfig(project!.root));
    expect(edited.manifest.byName.get('T')!.codeHash).not.toBe(hash);
  });
});
