/**
 * One bench worker, long-lived as a Cloud Run instance is: prints 'ready',
 * then for each line of shards on stdin reads them through the Storage
 * Read API (the worker's loading step of a shard batch: session, Arrow
 * decode, grouping by entity), serializes each batch's entities as a
 * worker hands them to process(), and prints {rows, cpuMs}.
 */
import { createInterface } from 'node:readline';
import { BigQuery } from '@google-cloud/bigquery';
import { BigQueryReadClient } from '@google-cloud/bigquery-storage';
import * as grpc from '@grpc/grpc-js';
import { BigqueryShardedReads } from '../../shared/adapters/bigquery/sharded-reads.ts';
import { StorageReader } from '../../shared/adapters/bigquery/storage-reader.ts';
import type { ShardSpec } from '../../shared/ports/sharded-reads.ts';

const { rest, storage } = JSON.parse(process.argv[2]!) as { rest: string; storage: string };
const auth = { getRequestHeaders: async () => new Headers({ authorization: 'Bearer local-stand-in' }) } as never;
const [host, port] = storage.split(':') as [string, string];
const read = new BigQueryReadClient({
  apiEndpoint: host,
  port: Number(port),
  sslCreds: grpc.credentials.createInsecure(),
  authClient: auth,
  projectId: 'bench-project',
});
const reads = new BigqueryShardedReads(
  new BigQuery({ projectId: 'bench-project', apiEndpoint: rest, authClient: auth }),
  { projectId: 'bench-project', dataset: 'facts', location: 'US' },
  new StorageReader(read, { billingProject: 'bench-project' }),
  { scratchDataset: 'scratch' },
);
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const shards = JSON.parse(line) as ShardSpec[];
  const cpu = process.cpuUsage();
  let rows = 0;
  for (const shard of shards) {
    const entities = await reads.read(shard);
    for (const entity of entities) rows += entity.data.trades!.length;
    JSON.stringify(entities);
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ rows, cpuMs: (used.user + used.system) / 1000 })}\n`);
}
await read.close();
