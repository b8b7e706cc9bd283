/** A computation as the graph sees it: a name and the names it depends on. */
export interface GraphNode {
  name: string;
  dependencies: readonly string[];
}

export interface PassAssignment {
  /** Pass number of every computation that is not in or behind a cycle. */
  passes: Map<string, number>;
  /** Each dependency cycle as a chain that ends where it starts: [A, B, C, A]. */
  cycles: string[][];
}

/**
 * Assigns pass numbers with Kahn's algorithm, one wave at a time, so a
 * computation's pass is one more than its latest dependency's. Dependencies
 * on names that are not nodes are ignored here (they are reported apart).
 */
export function assignPasses(nodes: readonly GraphNode[]): PassAssignment {
  const known = new Set(nodes.map((n) => n.name));
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of nodes) {
    const deps = new Set(node.dependencies.filter((d) => known.has(d)));
    remaining.set(node.name, deps.size);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, [node.name]);
      else list.push(node.name);
    }
  }
  const passes = new Map<string, number>();
  let wave = [...remaining].filter(([, count]) => count === 0).map(([name]) => name);
  for (let pass = 0; wave.length > 0; pass++) {
    const next: string[] = [];
    for (const name of wave) {
      passes.set(name, pass);
      for (const dependent of dependents.get(name) ?? []) {
        const left = remaining.get(dependent)! - 1;
        remaining.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    wave = next;
  }
  const cycles = passes.size === nodes.length ? [] : findCycles(nodes, known);
  return { passes, cycles };
}

/** Strongly connected components (Tarjan), each cycle reported once. */
function findCycles(nodes: readonly GraphNode[], known: Set<string>): string[][] {
  const edges = new Map(nodes.map((n) => [n.name, [...new Set(n.dependencies.filter((d) => known.has(d)))].sort()]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  // Iterative Tarjan: deep graphs must not overflow the call stack.
  for (const start of [...edges.keys()].sort()) {
    if (index.has(start)) continue;
    const work: Array<{ name: string; next: number }> = [{ name: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = edges.get(frame.name)!;
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ name: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.name, Math.min(low.get(frame.name)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.name, Math.min(low.get(parent.name)!, low.get(frame.name)!));
      if (low.get(frame.name) === index.get(frame.name)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.name);
        const selfLoop = component.length === 1 && edges.get(frame.name)!.includes(frame.name);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((component) => cycleChain(component, edges)).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest cycle through the component's first name, as a chain. */
function cycleChain(component: string[], edges: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...members].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const target of edges.get(name)!) {
      if (!members.has(target)) continue;
      if (target === start) {
        const chain = [start];
        for (let at: string | undefined = name; at !== start && at !== undefined; at = previous.get(at))
          chain.splice(1, 0, at);
        chain.push(start);
        return chain;
      }
      if (!previous.has(target)) {
        previous.set(target, name);
        queue.push(target);
      }
    }
  }
  return [start, start];
}
