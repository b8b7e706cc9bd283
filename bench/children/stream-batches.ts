// Benchmark child: reads a generated DuckDB warehouse either as the floor
// (one raw query over both tables ordered by entity) or through the
// system's path (one query per table, merged by entity, cut into batches),
// then prints time, peak RSS and counts as JSON.
import { JsonDuckDBValueConverter } from '@duckdb/node-api';
import { DuckdbWarehouse, openDuckdb } from '../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { ManualClock } from '../../shared/ports/clock.ts';
import { parseProjectConfig } from '../../shared/project/project-config.ts';
import { computationConfigSchema } from '../../shared/model/config-schema.ts';
import { ComputationReader } from '../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../shared/warehouse/schema-registry.ts';
import type { ManifestEntry } from '../../shared/manifest/manifest.ts';

const [path, mode] = process.argv.slice(2) as [string, 'floor' | 'batches'];
const [memoryLimit, threads] = process.argv.slice(4);
const instance = await openDuckdb(path, {
  ...(memoryLimit ? { memoryLimit } : {}),
  ...(threads ? { threads: Number(threads) } : {}),
});
const start = performance.now();
let rows = 0;
let entities = 0;

if (mode === 'floor') {
  const connection = await instance.connect();
  const result = await connection.stream(
    `SELECT * FROM (SELECT date, user_id, v, n, 'a' AS src FROM a WHERE date = DATE '2026-01-26' UNION ALL SELECT date, user_id, v, n, 'b' FROM b WHERE date = DATE '2026-01-26') ORDER BY user_id`,
  );
  const names = result.deduplicatedColumnNames();
  let last: unknown;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (const values of chunk.convertRows(JsonDuckDBValueConverter)) {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < names.length; c++) row[names[c]!] = values[c];
      if (row.user_id !== last) {
        entities++;
        last = row.user_id;
      }
      rows++;
    }
  }
  connection.closeSync();
} else {
  const warehouse = new DuckdbWarehouse(instance);
  const project = parseProjectConfig({ entityField: 'user_id' }, '.');
  const config = computationConfigSchema.parse({ name: 'Bench', type: 'per-entity', requires: { a: {}, b: {} } });
  const entry = { name: 'Bench', config } as ManifestEntry;
  const reader = new ComputationReader({
    warehouse,
    registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
    project,
  });
  const { reads, problems } = await reader.plan(entry, '2026-01-26');
  if (problems.length > 0) throw new Error(JSON.stringify(problems));
  const { merger } = await reader.openEntities(reads);
  for await (const batch of merger.batches(1000)) {
    entities += batch.entityIds.length;
    for (const items of batch.items.values()) rows += items.a!.length + items.b!.length;
  }
  await warehouse.close();
}
const ms = performance.now() - start;
instance.closeSync();
process.stdout.write(JSON.stringify({ ms, rows, entities, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
