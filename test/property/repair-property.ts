import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComputationState } from '../../shared/ports/state-store.ts';
import { random } from '../support/random.ts';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, storedResults } from '../support/embedded.ts';
import { tempProject, type TempProject } from '../support/temp-project.ts';

/**
 * The property of DESIGN 5b's honest states, over random small graphs and
 * random entity failures (seeded, so a failing case is replayed with
 * `npm run property -- --seed N`):
 *   1. after every run, a computation-date reported up to date (completed
 *      or skipped) whose upstream (dependencies, and for a historical one
 *      its earlier dates) is up to date too holds exactly the values of a
 *      clean run: nothing up to date is missing a result it should have;
 *   2. after any sequence of runs with failures and then one clean run of
 *      the whole range (no --force), every stored value equals a clean run
 *      from scratch.
 */

const DATES = ['2026-01-24', '2026-01-25', '2026-01-26'];
const ENTITIES = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];

interface Node {
  name: string;
  type: 'per-entity' | 'global';
  dependencies: string[];
  historical: boolean;
  readsEvents: boolean;
}

export interface Case {
  seed: number;
  nodes: Node[];
  /** Each run: the dates it covers and the (computation/date/entity) calls that throw in it. */
  runs: Array<{ dates: string[]; fails: string[] }>;
}

/** The graph and the runs a seed makes. */
export function caseFor(seed: number): Case {
  const next = random(seed);
  const count = 3 + Math.floor(next() * 3);
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const earlier = nodes.map((n) => n.name);
    const dependencies = earlier.filter(() => next() < 0.45).slice(0, 2);
    const type = dependencies.length > 0 && next() < 0.3 ? 'global' : 'per-entity';
    const readsEvents = dependencies.length === 0 || next() < 0.5;
    nodes.push({
      name: `C${i}`,
      type,
      dependencies,
      historical: type === 'per-entity' && next() < 0.35,
      readsEvents,
    });
  }
  const runs: Case['runs'] = [];
  const runCount = 2 + Math.floor(next() * 3);
  for (let r = 0; r < runCount; r++) {
    const from = Math.floor(next() * DATES.length);
    const to = from + Math.floor(next() * (DATES.length - from));
    const fails: string[] = [];
    for (const node of nodes)
      for (const date of DATES) {
        if (node.type === 'global') {
          if (next() < 0.1) fails.push(`${node.name}/${date}/_global`);
        } else for (const entity of ENTITIES) if (next() < 0.12) fails.push(`${node.name}/${date}/${entity}`);
      }
    runs.push({ dates: DATES.slice(from, to + 1), fails });
  }
  return { seed, nodes, runs };
}

function source(node: Node, types: Map<string, Node['type']>): string {
  const deps = node.dependencies.map((d) => [d, types.get(d)!] as const);
  const depSum =
    node.type === 'per-entity'
      ? deps.map(([d]) => `{ const r = ctx.getDependency('${d}'); v += r === null ? 1000 : r.v; }`).join('\n    ')
      : deps
          .map(([d, t]) =>
            t === 'global'
              ? `{ const r = ctx.getDependency('${d}'); v += r === null ? 1000 : r.v; }`
              : `{ const all = ctx.getDependency('${d}'); for (const id of Object.keys(all).sort()) v += all[id].v * 3 + id.length; }`,
          )
          .join('\n    ');
  const config = {
    name: node.name,
    type: node.type,
    dependencies: node.dependencies,
    isHistorical: node.historical,
    requires: node.readsEvents ? { events: {} } : {},
  };
  return `import { existsSync, readFileSync } from 'node:fs';
import { Computation } from 'computation-system';

const FAILS = new URL('../FAILS.json', import.meta.url);

export default class ${node.name} extends Computation {
  static getConfig() {
    return ${JSON.stringify(config)};
  }

  async process(ctx) {
    if (existsSync(FAILS) && JSON.parse(readFileSync(FAILS, 'utf8')).includes(\`${node.name}/\${ctx.date}/\${ctx.entityId}\`))
      throw new Error('injected failure');
    let v = ${node.readsEvents ? '(ctx.data.events ?? []).reduce((s, r) => s + r.value, 0)' : '0'};
    ${depSum}
    ${node.historical ? 'v += ctx.previousResult === null ? 7 : Math.floor(ctx.previousResult.v / 2);' : ''}
    return { v };
  }
}
`;
}

async function projectFor(c: Case): Promise<TempProject> {
  const types = new Map(c.nodes.map((n) => [n.name, n.type]));
  const files: Record<string, string> = { 'compute.config.json': JSON.stringify({ batchSize: 4 }) };
  for (const node of c.nodes) files[`computations/${node.name.toLowerCase()}.js`] = source(node, types);
  const project = await tempProject(files);
  const rows: string[] = [];
  DATES.forEach((date, d) =>
    ENTITIES.forEach((entity, e) => {
      // Entity e6 has no rows on the middle date; the others one or two rows a day.
      if (entity === 'e6' && d === 1) return;
      for (let r = 0; r <= e % 2; r++) rows.push(`('${date}', '${entity}', ${e * 10 + d + r})`);
    }),
  );
  await sql(project.root, [
    'CREATE TABLE events (date DATE, entity_id VARCHAR, value BIGINT)',
    `INSERT INTO events VALUES ${rows.join(', ')}`,
  ]);
  return project;
}

type Values = Map<string, string>;

async function valuesOf(root: string, c: Case): Promise<Values> {
  const values: Values = new Map();
  for (const node of c.nodes)
    for (const date of DATES)
      values.set(`${date}/${node.name}`, JSON.stringify(await storedResults(root, node.name, date).catch(() => [])));
  return values;
}

const upToDate = (s: ComputationState | undefined) =>
  s !== undefined && (s.status === 'completed' || s.status === 'skipped') && (s.counts?.failed ?? 0) === 0;

/** What `compute analyze` says of every computation-date: 'skip' is what the system reports as up to date. */
async function decisions(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const date of DATES) {
    const result = await cli(['analyze', '--date', date, '--json', '--project', root]);
    for (const c of json<{ computations: Array<{ name: string; decision: string }> }>(result).computations)
      out.set(`${date}/${c.name}`, c.decision);
  }
  return out;
}

/** Computation-dates reported up to date together with everything upstream of them. */
function closedUnderUpstream(c: Case, decided: Map<string, string>): string[] {
  const memo = new Map<string, boolean>();
  const byName = new Map(c.nodes.map((n) => [n.name, n]));
  const ok = (name: string, di: number): boolean => {
    const key = `${DATES[di]}/${name}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const node = byName.get(name)!;
    const result =
      decided.get(key) === 'skip' &&
      node.dependencies.every((d) => ok(d, di)) &&
      (!node.historical || di === 0 || ok(name, di - 1));
    memo.set(key, result);
    return result;
  };
  const keys: string[] = [];
  for (const node of c.nodes) DATES.forEach((date, di) => ok(node.name, di) && keys.push(`${date}/${node.name}`));
  return keys;
}

/** Runs one case; returns the problems found (empty when the property holds). */
export async function checkCase(seed: number): Promise<{ seed: number; problems: string[]; summary: string }> {
  const c = caseFor(seed);
  const summary = `${c.nodes.map((n) => `${n.name}(${n.type}${n.historical ? ',hist' : ''}${n.dependencies.length ? `<-${n.dependencies.join('+')}` : ''})`).join(' ')}; ${c.runs.length} runs`;
  const problems: string[] = [];
  const clean = await projectFor(c);
  const tried = await projectFor(c);
  try {
    // The reference: one clean run of the whole range, from scratch.
    await runProject(clean.root, { dates: DATES });
    const expected = await valuesOf(clean.root, c);
    for (const [i, run] of c.runs.entries()) {
      await writeFile(join(tried.root, 'FAILS.json'), JSON.stringify(run.fails));
      await runProject(tried.root, { dates: run.dates });
      const closed = closedUnderUpstream(c, await decisions(tried.root));
      const values = await valuesOf(tried.root, c);
      for (const key of closed)
        if (values.get(key) !== expected.get(key))
          problems.push(`after run ${i + 1} (${run.dates.join(',')}): ${key} is up to date but holds other values`);
    }
    await rm(join(tried.root, 'FAILS.json'));
    await runProject(tried.root, { dates: DATES });
    const final = await valuesOf(tried.root, c);
    for (const [key, value] of expected)
      if (final.get(key) !== value) problems.push(`after the clean run: ${key} differs from a clean run from scratch`);
    const states = await statesOf(tried.root, c);
    for (const [key, state] of states)
      if (!upToDate(state)) problems.push(`after the clean run: ${key} is ${state.status}`);
  } finally {
    await Promise.all([clean.remove(), tried.remove()]);
  }
  return { seed, problems, summary };
}

async function statesOf(root: string, c: Case): Promise<Map<string, ComputationState>> {
  const { loadProjectConfig } = await import('../../shared/project/project-config.ts');
  const { openStateStore } = await import('../../cli/wiring.ts');
  const store = await openStateStore(await loadProjectConfig(root, {}));
  try {
    const states = new Map<string, ComputationState>();
    for (const state of await store.states.list())
      if (c.nodes.some((n) => n.name === state.computation)) states.set(`${state.date}/${state.computation}`, state);
    return states;
  } finally {
    await store.close();
  }
}
