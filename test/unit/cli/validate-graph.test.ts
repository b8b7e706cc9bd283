import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, json } from '../../support/cli.ts';
import { computationSource, tempProject } from '../../support/temp-project.ts';

const diamond = resolve(import.meta.dirname, '../../fixtures/diamond');
const cycle = resolve(import.meta.dirname, '../../fixtures/cycle');

interface ValidateOutput {
  ok: boolean;
  computations: Array<{
    name: string;
    type: string;
    pass: number | null;
    dependencies: string[];
    codeHash: string | null;
  }>;
  errors: Array<{ code: string; message: string }>;
}

describe('compute validate', () => {
  it('prints passes and code hashes of a valid project as JSON, exit 0', async () => {
    const result = await cli(['validate', '--project', diamond, '--json']);
    expect(result.code).toBe(0);
    const output = json<ValidateOutput>(result);
    expect(output.ok).toBe(true);
    expect(output.errors).toEqual([]);
    expect(output.computations.map((c) => [c.name, c.type, c.pass, c.dependencies])).toEqual([
      ['Source', 'global', 0, []],
      ['Left', 'per-entity', 1, ['Source']],
      ['Right', 'per-entity', 1, ['Source']],
      ['Sink', 'global', 2, ['Left', 'Right']],
    ]);
    for (const c of output.computations) expect(c.codeHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports every cycle and unknown dependency at once, exit 1', async () => {
    const result = await cli(['validate', '--json'], { cwd: cycle });
    expect(result.code).toBe(1);
    const output = json<ValidateOutput>(result);
    expect(output.ok).toBe(false);
    expect(output.errors.map((e) => e.message)).toEqual([
      expect.stringContaining("depends on 'Missing', which is not a computation"),
      expect.stringContaining('Dependency cycle: A -> B -> C -> A'),
      expect.stringContaining('Dependency cycle: Loop -> Loop'),
    ]);
    expect(output.computations.find((c) => c.name === 'A')!.pass).toBeNull();
    expect(output.computations.find((c) => c.name === 'Orphan')!.pass).toBe(0);
  });

  it('prints a readable report without --json', async () => {
    const result = await cli(['validate', '--project', cycle]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[CYCLE] Dependency cycle: A -> B -> C -> A');
  });

  it('says which folder has no config, exit 1', async () => {
    const result = await cli(['validate', '--project', resolve(diamond, 'computations')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No compute.config.json in');
  });
});

describe('compute graph', () => {
  it('prints Mermaid edges from dependency to dependent', async () => {
    const result = await cli(['graph', '--project', diamond]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('graph LR');
    expect(result.stdout).toContain('  c_Source --> c_Left\n');
    expect(result.stdout).toContain('  c_Right --> c_Sink\n');
  });

  it('renders names that are Mermaid or dot keywords (end, graph, node, o..., x...)', async () => {
    const names = ['end', 'graph', 'node', 'subgraph', 'orders', 'xrates'];
    const project = await tempProject(
      Object.fromEntries(
        names.map((name, i) => [
          `computations/${name}.js`,
          computationSource({ name, type: 'global', dependencies: i === 0 ? [] : [names[i - 1]] }),
        ]),
      ),
    );
    try {
      const mermaid = (await cli(['graph', '--project', project.root])).stdout.trimEnd().split('\n');
      expect(mermaid[0]).toBe('graph LR');
      const body = mermaid.slice(1);
      // Every node and edge line uses prefixed ids; the names appear only inside quoted labels.
      for (const line of body) expect(line).toMatch(/^ {2}(c_\w+\["[^"]*"\]|c_\w+ --> c_\w+)$/);
      expect(body).toContain('  c_end --> c_graph');
      expect(body).toContain('  c_orders --> c_xrates');
      expect(body.filter((l) => l.includes('["'))).toHaveLength(names.length);
      const dot = (await cli(['graph', '--project', project.root, '--format', 'dot'])).stdout;
      expect(dot).toContain('  "end" -> "graph";');
      expect(dot).toContain('  "node" [label="node\\nglobal, pass 2"];');
    } finally {
      await project.remove();
    }
  });

  it('prints Graphviz dot', async () => {
    const result = await cli(['graph', '--project', diamond, '--format', 'dot']);
    expect(result.stdout).toContain('digraph computations {');
    expect(result.stdout).toContain('  "Left" -> "Sink";');
  });

  it('prints nodes and edges as JSON', async () => {
    const output = json<{ nodes: unknown[]; edges: unknown[] }>(await cli(['graph', '--project', diamond, '--json']));
    expect(output.nodes).toHaveLength(4);
    expect(output.edges).toContainEqual({ from: 'Source', to: 'Right' });
  });

  it('labels each computation with its status on --date', async () => {
    const output = json<{ date: string; nodes: Array<{ name: string; status: string }> }>(
      await cli(['graph', '--project', diamond, '--date', '2031-01-01', '--json']),
    );
    expect(output.date).toBe('2031-01-01');
    expect(output.nodes.map((n) => n.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect((await cli(['graph', '--project', diamond, '--date', '2031-01-01'])).stdout).toContain(
      'Source<br/>global, pass 0<br/>⏳ pending',
    );
  });

  it('refuses an invalid manifest with exit 1', async () => {
    expect((await cli(['graph', '--project', cycle])).code).toBe(1);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['validat'], "Unknown command 'validat'. Did you mean 'validate'?"],
    [['validate', '--jsn'], "unknown flag --jsn. Did you mean '--json'?"],
    [['graph', '--project', diamond, '--format', 'png'], "--format must be one of mermaid, dot; got 'png'"],
    [[], 'Usage: compute <command>'],
  ])('%j', async (argv, text) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).toContain(text);
  });
});
