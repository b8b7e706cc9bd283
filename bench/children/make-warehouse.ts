// Benchmark child: writes a DuckDB file with tables a and b, each holding
// rowsPerEntity/2 rows for every one of `entities` entities on 2026-01-26.
import { DuckDBInstance } from '@duckdb/node-api';

const [path, entitiesText, rowsPerEntityText] = process.argv.slice(2) as [string, string, string];
const entities = Number(entitiesText);
const half = Number(rowsPerEntityText) / 2;
const instance = await DuckDBInstance.create(path);
const connection = await instance.connect();
for (const table of ['a', 'b']) {
  await connection.run(`CREATE OR REPLACE TABLE ${table} AS
    SELECT DATE '2026-01-26' AS date, 'user_' || lpad(CAST(e AS VARCHAR), 7, '0') AS user_id, random() * 100 AS v, CAST(e * 10 + r AS BIGINT) AS n
    FROM range(${entities}) t(e), range(${half}) s(r)
    ORDER BY random()`);
}
connection.closeSync();
instance.closeSync();
