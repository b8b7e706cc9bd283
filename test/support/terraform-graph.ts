import type { HclBlock } from './hcl.ts';

/**
 * What each resource of a module waits for: the resources its expressions
 * and depends_on name, directly or through locals. Terraform creates a
 * resource only after everything it references, so reaching a resource in
 * this graph means being created after it.
 */
export interface ModuleGraph {
  /** 'TYPE.NAME' of every resource and data source. */
  nodes: string[];
  /** Whether `from` is created after `to` (it references it, or something that does). */
  waitsFor(from: string, to: string): boolean;
  /** The block of a resource or data source. */
  block(id: string): HclBlock;
}

const RESOURCE_REF = /\b((?:google|google-beta|time)_[a-z0-9_]+)\.([a-z0-9_]+)\b/g;
const DATA_REF = /\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)\b/g;
const LOCAL_REF = /\blocal\.([a-z0-9_]+)\b/g;

function expressions(block: HclBlock): string[] {
  return [...block.values.values(), ...block.blocks.flatMap(expressions)];
}

function idOf(block: HclBlock): string {
  return `${block.type === 'data' ? 'data.' : ''}${block.labels[0]}.${block.labels[1]}`;
}

export function moduleGraph(blocks: HclBlock[]): ModuleGraph {
  const locals = new Map<string, string>();
  for (const block of blocks.filter((b) => b.type === 'locals'))
    for (const [name, value] of block.values) locals.set(name, value);
  const resources = blocks.filter((b) => b.type === 'resource' || b.type === 'data');
  const byId = new Map(resources.map((b) => [idOf(b), b]));

  /** Resources an expression names, following locals. */
  const refs = (text: string, seen = new Set<string>()): Set<string> => {
    const found = new Set<string>();
    for (const m of text.matchAll(RESOURCE_REF)) found.add(`${m[1]}.${m[2]}`);
    for (const m of text.matchAll(DATA_REF)) found.add(`data.${m[1]}.${m[2]}`);
    for (const m of text.matchAll(LOCAL_REF)) {
      const name = m[1]!;
      if (seen.has(name) || !locals.has(name)) continue;
      seen.add(name);
      for (const ref of refs(locals.get(name)!, seen)) found.add(ref);
    }
    return found;
  };
  const edges = new Map<string, Set<string>>();
  for (const [id, block] of byId)
    edges.set(id, new Set([...refs(expressions(block).join('\n'))].filter((r) => byId.has(r) && r !== id)));

  return {
    nodes: [...byId.keys()],
    block: (id) => byId.get(id)!,
    waitsFor(from, to) {
      const stack = [...(edges.get(from) ?? [])];
      const seen = new Set<string>();
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (next === to) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(...(edges.get(next) ?? []));
      }
      return false;
    },
  };
}
