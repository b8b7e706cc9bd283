// Child process for scenario 23: replaces the results of one (computation, date) on a DuckDB
// file again and again, each generation's rows all holding its number, and reports on stdout
// when a replace starts appending and when it committed, until it is killed (SIGKILL).
import { DuckdbResultStore } from '../../../shared/adapters/duckdb/duckdb-results.ts';
import { openDuckdb } from '../../../shared/adapters/duckdb/duckdb-warehouse.ts';

const [path, rowsText] = process.argv.slice(2);
const rows = Number(rowsText);
const results = new DuckdbResultStore(await openDuckdb(path!));
const CHUNK = 500;
for (let generation = 0; ; generation++) {
  const writer = await results.openReplace('Crash', '2026-01-26');
  process.stdout.write(`appending ${generation}\n`);
  for (let start = 0; start < rows; start += CHUNK) {
    const chunk = [];
    for (let i = start; i < Math.min(rows, start + CHUNK); i++)
      chunk.push({ entityId: `e${String(i).padStart(6, '0')}`, result: { generation, i } });
    await writer.append(chunk);
  }
  await writer.commit();
  process.stdout.write(`committed ${generation}\n`);
}
