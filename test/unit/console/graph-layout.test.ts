import { describe, expect, it } from 'vitest';
import { layoutByPass } from '../../../shared/console/graph-layout.ts';

describe('layoutByPass', () => {
  it('puts each pass in its own column, so every edge points right, and keeps children beside their parents', () => {
    const layout = layoutByPass({
      passes: [
        ['A', 'B'],
        ['X', 'Y'],
      ],
      // Y reads A (row 0) and X reads B (row 1): the barycenter sweep swaps them.
      edges: [
        ['A', 'Y'],
        ['B', 'X'],
      ],
    });
    const at = Object.fromEntries(layout.nodes.map((n) => [n.name, n]));
    for (const [from, to] of [
      ['A', 'Y'],
      ['B', 'X'],
    ] as const)
      expect(at[from]!.x + layout.nodeWidth).toBeLessThan(at[to]!.x);
    expect(at.Y!.y).toBe(at.A!.y);
    expect(at.X!.y).toBe(at.B!.y);
    // Every node inside the drawing, none overlapping another.
    const boxes = layout.nodes.map((n) => `${n.x},${n.y}`);
    expect(new Set(boxes).size).toBe(4);
    for (const n of layout.nodes) {
      expect(n.x + layout.nodeWidth).toBeLessThanOrEqual(layout.width);
      expect(n.y + layout.nodeHeight).toBeLessThanOrEqual(layout.height);
    }
  });

  it('lays out 1,000 nodes in one sweep', () => {
    const passes = Array.from({ length: 10 }, (_, p) => Array.from({ length: 100 }, (_, i) => `N${p}-${i}`));
    const edges = passes
      .slice(1)
      .flatMap((names, p) => names.map((n, i) => [passes[p]![(i * 7) % 100]!, n] as [string, string]));
    const layout = layoutByPass({ passes, edges });
    expect(layout.nodes).toHaveLength(1000);
    expect(new Set(layout.nodes.map((n) => n.x)).size).toBe(10);
  });
});
