import { describe, expect, it } from 'vitest';
import { assignPasses, type GraphNode } from '../../../shared/manifest/graph.ts';

const node = (name: string, ...dependencies: string[]): GraphNode => ({ name, dependencies });

describe('assignPasses', () => {
  it('puts a diamond into three passes', () => {
    const { passes, cycles } = assignPasses([
      node('Sink', 'Left', 'Right'),
      node('Left', 'Source'),
      node('Right', 'Source'),
      node('Source'),
    ]);
    expect(cycles).toEqual([]);
    expect(Object.fromEntries(passes)).toEqual({ Source: 0, Left: 1, Right: 1, Sink: 2 });
  });

  it('gives a computation the pass after its latest dependency, not its earliest', () => {
    const { passes } = assignPasses([node('A'), node('B', 'A'), node('C', 'B'), node('D', 'A', 'C')]);
    expect(passes.get('D')).toBe(3);
  });

  it('prints a three-node cycle as its whole chain', () => {
    const { cycles, passes } = assignPasses([node('A', 'B'), node('B', 'C'), node('C', 'A'), node('Free')]);
    expect(cycles).toEqual([['A', 'B', 'C', 'A']]);
    expect(passes.get('Free')).toBe(0);
    expect(passes.has('A')).toBe(false);
  });

  it('reports a self-dependency as a cycle of one', () => {
    expect(assignPasses([node('Loop', 'Loop')]).cycles).toEqual([['Loop', 'Loop']]);
  });

  it('reports two separate cycles separately', () => {
    const { cycles } = assignPasses([
      node('A', 'B'),
      node('B', 'A'),
      node('X', 'Y'),
      node('Y', 'Z'),
      node('Z', 'X'),
      node('Behind', 'A'),
    ]);
    expect(cycles).toEqual([
      ['A', 'B', 'A'],
      ['X', 'Y', 'Z', 'X'],
    ]);
  });

  it('ignores dependencies on unknown names (they are reported elsewhere)', () => {
    expect(Object.fromEntries(assignPasses([node('A', 'Missing')]).passes)).toEqual({ A: 0 });
  });

  it('assigns longest-path passes on a 1,000-node random DAG', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const nodes: GraphNode[] = [];
    for (let i = 0; i < 1000; i++) {
      const deps = new Set<string>();
      const count = i === 0 ? 0 : Math.floor(random() * 4);
      for (let d = 0; d < count; d++) deps.add(`n${Math.floor(random() * i)}`);
      nodes.push(node(`n${i}`, ...deps));
    }
    const { passes, cycles } = assignPasses([...nodes].reverse());
    expect(cycles).toEqual([]);
    expect(passes.size).toBe(1000);
    // Independent check: depth by memoized recursion over the same edges.
    const depth = new Map<string, number>();
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const depthOf = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const deps = byName.get(name)!.dependencies;
      const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
      depth.set(name, value);
      return value;
    };
    for (const n of nodes) expect(passes.get(n.name)).toBe(depthOf(n.name));
    expect(Math.max(...passes.values())).toBeGreaterThan(5);
  });

  it('finds a cycle deep in a long chain without overflowing the stack', () => {
    const nodes = Array.from({ length: 20_000 }, (_, i) => node(`n${i}`, `n${(i + 1) % 20_000}`));
    const { cycles } = assignPasses(nodes);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(20_001);
  });
});
