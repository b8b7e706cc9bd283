/**
 * The bench's BigQuery: the REST fake and the Storage Read stand-in in a
 * process of their own (so their CPU is not counted as the executor's or
 * the workers'), seeded with `rows` rows of `entities` entities in
 * facts.trades. Prints {rest, storage} endpoints on stdout and serves
 * until its stdin closes.
 */
import { FakeBigQuery } from '../../test/support/fake-bigquery/server.ts';
import { FakeStorageRead } from '../../test/support/fake-bigquery/storage-read.ts';

const [rows, entities] = process.argv.slice(2).map(Number) as [number, number];
const fake = await FakeBigQuery.start('bench-project');
const stand = await FakeStorageRead.start(fake);
for (const dataset of ['facts', 'results', 'scratch']) await fake.dataset(dataset, 'US');
await fake.table('facts', 'trades', {
  columns: { date: 'DATE', user_id: 'STRING', qty: 'INT64', price: 'FLOAT64', note: 'STRING' },
});
await fake.modify(
  `INSERT INTO "facts"."trades" SELECT DATE '2026-03-02', 'u' || lpad(CAST(r % ${entities} AS VARCHAR), 7, '0'), r % 97, r / 100, 'trade ' || r FROM range(${rows}) t(r)`,
);
process.stdout.write(`${JSON.stringify({ rest: fake.endpoint, storage: stand.endpoint })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void stand
    .close()
    .then(() => fake.close())
    .then(() => process.exit(0));
});
