import { UsageError } from '../../shared/errors.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { Manifest } from '../../shared/manifest/manifest.ts';
import { dateFlag, stringFlag } from '../args.ts';
import { openPorts } from '../open-ports.ts';
import { STATUS_ICONS } from '../../shared/model/statuses.ts';
import { loadProject, printJson, type Command } from '../command.ts';

const FORMATS = ['mermaid', 'dot'] as const;
type Format = (typeof FORMATS)[number];

/** Edges run from a dependency to the computation that uses it, as data flows. */
export function renderGraph(
  manifest: Manifest,
  format: Format,
  labels: ReadonlyMap<string, string> = new Map(),
): string {
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
  // Node ids get a prefix: Mermaid reads a bare `end` as a keyword, and an id
  // starting with o or x after an arrow as a circle or cross edge. The label
  // (quoted) shows the name.
  const id = (name: string) => `c_${name}`;
  const lines = ['graph LR'];
  for (const entry of manifest.computations)
    lines.push(`  ${id(entry.name)}["${label(entry.name).replaceAll('\\n', '<br/>')}"]`);
  for (const entry of manifest.computations) {
    for (const dep of entry.config.dependencies) lines.push(`  ${id(dep)} --> ${id(entry.name)}`);
  }
  return `${lines.join('\n')}\n`;
}

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print the dependency graph as Mermaid (default) or Graphviz dot',
  flags: {
    format: { type: 'string', description: 'mermaid | dot (default: mermaid)' },
    date: { type: 'string', description: 'label each computation with its status on this date' },
  },
  async run(input) {
    const format = stringFlag(input.flags, 'format') ?? 'mermaid';
    if (!FORMATS.includes(format as Format))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got '${format}'`);
    const date = dateFlag(input.flags, 'date');
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const statuses = new Map<string, string>();
    if (date !== undefined) {
      const { state: store, close } = await openPorts(project, 'state', { env: input.io.env });
      try {
        for (const state of await store.states.list(date)) statuses.set(state.computation, state.status);
      } finally {
        await close();
      }
      for (const entry of manifest.computations) if (!statuses.has(entry.name)) statuses.set(entry.name, 'pending');
    }
    if (input.flags.json === true) {
      printJson(input, {
        ...(date === undefined ? {} : { date }),
        nodes: manifest.computations.map((e) => ({
          name: e.name,
          type: e.config.type,
          pass: e.pass,
          ...(date === undefined ? {} : { status: statuses.get(e.name) }),
        })),
        edges: manifest.computations.flatMap((e) => e.config.dependencies.map((from) => ({ from, to: e.name }))),
      });
      return 0;
    }
    const labels = new Map([...statuses].map(([name, status]) => [name, `${STATUS_ICONS[status] ?? ''} ${status}`]));
    input.io.stdout(renderGraph(manifest, format as Format, labels));
    return 0;
  },
};
