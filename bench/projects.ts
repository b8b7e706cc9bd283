import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export const BENCH_DATE = '2026-01-26';

async function base(root: string, config: Record<string, unknown>): Promise<void> {
  await mkdir(join(root, 'computations'), { recursive: true });
  await mkdir(join(root, 'node_modules'), { recursive: true });
  await symlink(resolve(import.meta.dirname, '..'), join(root, 'node_modules/computation-system'), 'dir');
  await writeFile(join(root, 'compute.config.json'), JSON.stringify(config));
}

/** `events(date, entity_id, value)`: `rowsPerEntity` rows for each of `entities` entities on BENCH_DATE, in random order. */
export async function writeEvents(root: string, entities: number, rowsPerEntity: number): Promise<void> {
  const instance = await DuckDBInstance.create(join(root, 'warehouse.duckdb'));
  const connection = await instance.connect();
  await connection.run(`CREATE OR REPLACE TABLE events AS
    SELECT DATE '${BENCH_DATE}' AS date, 'e' || lpad(CAST(e AS VARCHAR), 7, '0') AS entity_id, CAST(e + r AS BIGINT) AS value
    FROM range(${entities}) t(e), range(${rowsPerEntity}) s(r) ORDER BY random()`);
  connection.closeSync();
  instance.closeSync();
}

/** One trivial per-entity computation: the number of rows of each entity. */
export async function trivialProject(
  root: string,
  entities: number,
  rowsPerEntity: number,
  warehouse: Record<string, unknown> = {},
): Promise<void> {
  await base(root, { warehouse: { type: 'duckdb', path: 'warehouse.duckdb', ...warehouse } });
  await writeFile(
    join(root, 'computations/count.js'),
    `import { Computation } from 'computation-system';
export default class CountRows extends Computation {
  static getConfig() { return { name: 'CountRows', type: 'per-entity', requires: { events: {} } }; }
  process(ctx) { return { n: ctx.data.events.length }; }
}
`,
  );
  await writeEvents(root, entities, rowsPerEntity);
}

/**
 * A DAG of `count` computations in `passes` passes: each depends on up to
 * two computations of the pass before; every other one is per-entity over
 * the events table, the rest global.
 */
export async function dagProject(root: string, count: number, passes: number, entities: number): Promise<void> {
  await base(root, { batchSize: 1000 });
  const perPass = Math.ceil(count / passes);
  const name = (i: number) => `C${String(i).padStart(3, '0')}`;
  for (let i = 0; i < count; i++) {
    const pass = Math.floor(i / perPass);
    const deps =
      pass === 0
        ? []
        : [...new Set([name((pass - 1) * perPass + (i % perPass)), name((pass - 1) * perPass + ((i + 1) % perPass))])];
    const perEntity = i % 2 === 0;
    const body = perEntity
      ? 'return { n: ctx.data.events.reduce((s, r) => s + r.value, 0) };'
      : `return { total: ${deps.length === 0 ? 'ctx.data.events.length' : deps.map((d) => `JSON.stringify(ctx.getDependency('${d}')).length`).join(' + ')} };`;
    const config = {
      name: name(i),
      type: perEntity ? 'per-entity' : 'global',
      requires: pass === 0 || perEntity ? { events: {} } : {},
      dependencies: deps,
    };
    await writeFile(
      join(root, `computations/${name(i)}.js`),
      `import { Computation } from 'computation-system';
export default class ${name(i)} extends Computation {
  static getConfig() { return ${JSON.stringify(config)}; }
  process(ctx) { ${body} }
}
`,
    );
  }
  await writeEvents(root, entities, 2);
}

/** The trivial per-entity computation with one check of each kind on its results (issue 22). */
export async function checkedProject(root: string, entities: number, rowsPerEntity: number): Promise<void> {
  await base(root, { warehouse: { type: 'duckdb', path: 'warehouse.duckdb' } });
  await writeFile(
    join(root, 'computations/checked.js'),
    `import { Computation } from 'computation-system';
export default class CheckedRows extends Computation {
  static getConfig() {
    return {
      name: 'CheckedRows',
      type: 'per-entity',
      requires: { events: {} },
      checks: [
        { type: 'notNull', field: 'n' },
        { type: 'range', field: 'n', min: 1, max: 1000 },
        { type: 'unique', field: 'id' },
        { type: 'count', within: 0.5 },
        { type: 'custom', name: 'positive', check: (result) => result.n > 0 },
      ],
    };
  }
  process(ctx) { return { n: ctx.data.events.length, id: ctx.entityId }; }
}
`,
  );
  await writeEvents(root, entities, rowsPerEntity);
}
