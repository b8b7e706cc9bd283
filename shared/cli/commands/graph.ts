import { UsageError } from '../../errors.ts';
import { requireManifest } from '../../manifest/build-manifest.ts';
import type { Manifest } from '../../manifest/manifest.ts';
import { stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';

const FORMATS = ['mermaid', 'dot'] as const;
type Format = (typeof FORMATS)[number];

/** Edges run from a dependency to the computation that uses it, as data flows. */
export function renderGraph(manifest: Manifest, format: Format, labels: ReadonlyMap<string, string> = new Map()): string {
  const label = (name: string) => {
    const entry = manifest.byName.get(name)!;
    const extra = labels.get(name);
    return `${name}\\n${entry.config.type}, pass ${entry.pass}${extra === undefined ? '' : `\\n${extra}`}`;
  };
  if (format === 'dot') {
    const lines = ['digraph computations {', '  rankdir=LR;', '  node [shape=box];'];
    for (const entry of manifest.computations) lines.push(`  "${entry.name}" [label="${label(entry.name)}"];`);
    for (const entry of manifest.computations) {
      for (const dep of entry.config.dependencies) lines.push(`  "${dep}" -> "${entry.name}";`);
    }
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }
  const lines = ['graph LR'];
  for (const entry of manifest.computations) lines.push(`  ${entry.name}["${label(entry.name).replaceAll('\\n', '<br/>')}"]`);
  for (const entry of manifest.computations) {
    for (const dep of entry.config.dependencies) lines.push(`  ${dep} --> ${entry.name}`);
  }
  return `${lines.join('\n')}\n`;
}

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print the dependency graph as Mermaid (default) or Graphviz dot',
  flags: { format: { type: 'string', description: 'mermaid | dot (default: mermaid)' } },
  async run(input) {
    const format = stringFlag(input.flags, 'format') ?? 'mermaid';
    if (!FORMATS.includes(format as Format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got '${format}'`);
    const manifest = await requireManifest(await loadProject(input));
    if (input.flags.json === true) {
      printJson(input, {
        nodes: manifest.computations.map((e) => ({ name: e.name, type: e.config.type, pass: e.pass })),
        edges: manifest.computations.flatMap((e) => e.config.dependencies.map((from) => ({ from, to: e.name }))),
      });
      return 0;
    }
    input.io.stdout(renderGraph(manifest, format as Format));
    return 0;
  },
};
