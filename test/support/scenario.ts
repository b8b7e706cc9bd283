import { tempProject, type TempProject } from './temp-project.ts';
import { sql } from './embedded.ts';

/**
 * A small project for end-to-end scenarios: a table `events(date, entity_id,
 * value)` and three computations in three passes:
 *   Totals (per-entity) -> Doubled (per-entity) -> Summary (global)
 * plus Streak (per-entity, historical). Bodies can be replaced per test.
 */
export const BODIES = {
  totals: 'return { total: ctx.data.events.reduce((sum, row) => sum + row.value, 0) };',
  doubled: "const t = ctx.getDependency('Totals'); return t === null ? null : { doubled: t.total * 2 };",
  summary:
    "const all = ctx.getDependency('Doubled'); return { sum: Object.values(all).reduce((s, d) => s + d.doubled, 0), entities: Object.keys(all).length };",
  streak:
    'const before = ctx.previousResult === null ? 0 : ctx.previousResult.days; return { days: before + (ctx.data.events.length > 0 ? 1 : 0) };',
};

/**
 * A body that throws while a file `FAIL` exists in the project root (a
 * transient failure that goes away once the test removes the file) for the
 * calls where `when` holds: an entity id, or any condition over `ctx`.
 */
export function failWhileMarked(when: string | { condition: string }, body: string): string {
  const condition = typeof when === 'string' ? `ctx.entityId === '${when}'` : when.condition;
  return `if (${condition} && (await import('node:fs')).existsSync(new URL('../FAIL', import.meta.url))) throw new Error('transient failure while FAIL exists');
    ${body}`;
}

export function computationFile(name: string, config: Record<string, unknown>, body: string): string {
  return `import { Computation } from 'computation-system';

export default class ${name} extends Computation {
  static getConfig() {
    return ${JSON.stringify({ name, ...config })};
  }

  async process(ctx) {
    ${body}
  }
}
`;
}

export const CONFIGS = {
  Totals: { type: 'per-entity', requires: { events: { lookback: 0, mandatory: true } } },
  Doubled: { type: 'per-entity', dependencies: ['Totals'] },
  Summary: { type: 'global', dependencies: ['Doubled'] },
  Streak: { type: 'per-entity', isHistorical: true, requires: { events: {} } },
};

export async function scenarioProject(
  options: {
    entities?: number;
    dates?: string[];
    bodies?: Partial<typeof BODIES>;
    config?: Record<string, unknown>;
    /** getConfig() keys merged over a computation's (e.g. `{Totals: {timeouts: {entitySeconds: 2}}}`). */
    configs?: Partial<Record<keyof typeof CONFIGS, Record<string, unknown>>>;
  } = {},
): Promise<TempProject> {
  const bodies = { ...BODIES, ...options.bodies };
  const configs = Object.fromEntries(
    Object.entries(CONFIGS).map(([name, config]) => [
      name,
      { ...config, ...options.configs?.[name as keyof typeof CONFIGS] },
    ]),
  ) as typeof CONFIGS;
  const project = await tempProject({
    'compute.config.json': JSON.stringify({ batchSize: 10, ...options.config }),
    'computations/totals.js': computationFile('Totals', configs.Totals, bodies.totals),
    'computations/doubled.js': computationFile('Doubled', configs.Doubled, bodies.doubled),
    'computations/summary.js': computationFile('Summary', configs.Summary, bodies.summary),
    'computations/streak.js': computationFile('Streak', configs.Streak, bodies.streak),
  });
  const entities = options.entities ?? 25;
  const dates = options.dates ?? ['2026-01-25', '2026-01-26', '2026-01-27'];
  const values: string[] = [];
  dates.forEach((date, d) => {
    for (let e = 0; e < entities; e++) {
      // Entity e has (e % 3) + 1 rows a day, value e + d + row; entity 7 skips the middle date.
      if (e === 7 && d === 1) continue;
      for (let r = 0; r <= e % 3; r++) values.push(`('${date}', 'e${String(e).padStart(3, '0')}', ${e + d + r})`);
    }
  });
  await sql(project.root, [
    'CREATE TABLE events (date DATE, entity_id VARCHAR, value BIGINT)',
    `INSERT INTO events VALUES ${values.join(', ')}`,
  ]);
  return project;
}

/** What Totals should hold for an entity on the d-th scenario date (computed apart from the system). */
export function expectedTotal(e: number, d: number): number {
  let total = 0;
  for (let r = 0; r <= e % 3; r++) total += e + d + r;
  return total;
}

/**
 * Adds rule module `scale` (factor 2) and computation Scaled (per-entity,
 * Totals times the rule's factor), whose body starts with `before`.
 */
export async function addScaled(project: TempProject, before = ''): Promise<void> {
  await project.write('rules/scale.js', 'export const factor = 2;\n');
  await project.write(
    'computations/scaled.js',
    computationFile(
      'Scaled',
      { type: 'per-entity', dependencies: ['Totals'], rules: ['scale'] },
      `${before}return { scaled: ctx.getDependency('Totals').total * ctx.rules.scale.factor };`,
    ),
  );
}

/** A computation-body prefix that waits `ms` per entity: slow enough that a fault lands in the middle of the work. */
export const slow = (ms: number) => `await new Promise((r) => setTimeout(r, ${ms})); `;
