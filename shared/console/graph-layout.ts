/** A DAG already cut into passes: every edge goes from an earlier pass to a later one. */
export interface LayeredGraph {
  /** Node names per pass, passes[0] first. */
  passes: string[][];
  /** [upstream, downstream] pairs. */
  edges: Array<[string, string]>;
}

export interface NodeBox {
  name: string;
  pass: number;
  x: number;
  y: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  nodes: NodeBox[];
}

const NODE_WIDTH = 190;
const NODE_HEIGHT = 26;
const COLUMN_GAP = 70;
const ROW_GAP = 10;
const MARGIN = 12;

/**
 * Lays the graph out by pass: one column per pass (the pass is the longest
 * path from a source, so every edge points right), and within a column the
 * nodes ordered by the mean row of their upstream nodes (one barycenter
 * sweep), which keeps most edges short. Linear in nodes plus edges, so a
 * thousand computations lay out in milliseconds without a layout library.
 */
export function layoutByPass(graph: LayeredGraph): GraphLayout {
  const upstream = new Map<string, string[]>();
  for (const [from, to] of graph.edges) {
    const list = upstream.get(to);
    if (list === undefined) upstream.set(to, [from]);
    else list.push(from);
  }
  const row = new Map<string, number>();
  const nodes: NodeBox[] = [];
  graph.passes.forEach((names, pass) => {
    const keyed = names.map((name, index) => {
      const rows = (upstream.get(name) ?? []).map((u) => row.get(u)).filter((r): r is number => r !== undefined);
      return { name, key: rows.length === 0 ? index : rows.reduce((a, b) => a + b, 0) / rows.length, index };
    });
    keyed.sort((a, b) => a.key - b.key || a.index - b.index);
    keyed.forEach(({ name }, index) => {
      row.set(name, index);
      nodes.push({
        name,
        pass,
        x: MARGIN + pass * (NODE_WIDTH + COLUMN_GAP),
        y: MARGIN + index * (NODE_HEIGHT + ROW_GAP),
      });
    });
  });
  const tallest = Math.max(0, ...graph.passes.map((p) => p.length));
  return {
    width: MARGIN * 2 + Math.max(1, graph.passes.length) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP,
    height: MARGIN * 2 + tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP,
    nodeWidth: NODE_WIDTH,
    nodeHeight: NODE_HEIGHT,
    nodes,
  };
}
