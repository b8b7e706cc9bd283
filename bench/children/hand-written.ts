// Benchmark baseline: what a person would write by hand for a trivial
// per-entity computation: one query ordered by entity, rows grouped per
// entity, one result per entity written in one transaction.
import { DuckDBInstance, JsonDuckDBValueConverter } from '@duckdb/node-api';
import { join } from 'node:path';

const [root, date] = process.argv.slice(2) as [string, string];
const start = performance.now();
const instance = await DuckDBInstance.create(join(root, 'warehouse.duckdb'));
const reader = await instance.connect();
const writer = await instance.connect();
await writer.run('CREATE OR REPLACE TABLE hand_results (date DATE, entity_id VARCHAR, result VARCHAR)');
await writer.run('BEGIN TRANSACTION');
const appender = await writer.createAppender('hand_results');
const result = await reader.stream(
  `SELECT date, entity_id, value FROM events WHERE date = CAST($date AS DATE) ORDER BY entity_id`,
  { date },
);
const names = result.deduplicatedColumnNames();
let current: string | undefined;
let rows: Array<Record<string, unknown>> = [];
let entities = 0;
const flush = () => {
  if (current === undefined) return;
  appender.appendVarchar(date);
  appender.appendVarchar(current);
  appender.appendVarchar(JSON.stringify({ n: rows.length }));
  appender.endRow();
  entities++;
};
for (;;) {
  const chunk = await result.fetchChunk();
  if (chunk === null || chunk.rowCount === 0) break;
  for (const values of chunk.convertRows(JsonDuckDBValueConverter)) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = values[c];
    if (row.entity_id !== current) {
      flush();
      current = row.entity_id as string;
      rows = [];
    }
    rows.push(row);
  }
}
flush();
appender.closeSync();
await writer.run('COMMIT');
reader.closeSync();
writer.closeSync();
instance.closeSync();
process.stdout.write(
  JSON.stringify({ ms: performance.now() - start, entities, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);
