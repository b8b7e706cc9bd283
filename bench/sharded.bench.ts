import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BigQuery } from '@google-cloud/bigquery';
import { BigqueryShardedReads } from '../shared/adapters/bigquery/sharded-reads.ts';
import { BigqueryWarehouse } from '../shared/adapters/bigquery/bigquery-warehouse.ts';
import type { StorageReader } from '../shared/adapters/bigquery/storage-reader.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { ShardSpec } from '../shared/ports/sharded-reads.ts';
import { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../shared/warehouse/schema-registry.ts';
import { entry, project } from '../test/support/entries.ts';
import { result, type Bench, type BenchResult } from './harness.ts';

/** Rows and entities of the measured window: 10 rows per entity, 1,000 entities per batch. */
const ROWS = Number(process.env.BENCH_SHARD_ROWS ?? 200_000);
const ENTITIES = ROWS / 10;
const BATCH = 1000;
/** Window sizes for the crossing point (rows), run with 2 workers. */
const CROSSING_ROWS = [2_000, 20_000, 200_000];

const AT = { projectId: 'bench-project', dataset: 'facts', location: 'US' };
const AUTH = { getRequestHeaders: async () => new Headers({ authorization: 'Bearer local-stand-in' }) } as never;

interface Host {
  rest: string;
  storage: string;
  close(): Promise<void>;
}

/** The REST fake and the Storage Read stand-in in their own process, seeded. */
async function startHost(rows: number): Promise<Host> {
  const proc = spawn(
    process.execPath,
    [resolve(import.meta.dirname, 'children', 'warehouse-host.ts'), String(rows), String(rows / 10)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((done) => createInterface({ input: proc.stdout }).once('line', done));
  const { rest, storage } = JSON.parse(line) as { rest: string; storage: string };
  return {
    rest,
    storage,
    close: () =>
      new Promise<void>((done) => {
        proc.once('exit', () => done());
        proc.stdin.end();
      }),
  };
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function plannedRead(warehouse: BigqueryWarehouse) {
  const reader = new ComputationReader({
    warehouse,
    registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
    project: project({ batchSize: BATCH }),
  });
  const { reads } = await reader.plan(
    entry({ name: 'Positions', type: 'per-entity', requires: { trades: { mandatory: true } } }),
    '2026-03-02',
  );
  return { reader, reads };
}

/** Today's path: the executor pages the window over REST, merges by entity and serializes every batch context. */
async function executorPath(host: Host): Promise<{ ms: number; cpuMs: number; rows: number }> {
  const warehouse = new BigqueryWarehouse(
    new BigQuery({ projectId: AT.projectId, apiEndpoint: host.rest, authClient: AUTH }),
    AT,
  );
  const { reader, reads } = await plannedRead(warehouse);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const { merger } = await reader.openEntities(reads);
  let rows = 0;
  for await (const batch of merger.batches(BATCH)) {
    for (const items of batch.items.values()) rows += items.trades!.length;
    JSON.stringify([...batch.items]);
  }
  return { ms: performance.now() - start, cpuMs: cpuMs(cpu), rows };
}

/** A running worker process: `read` sends it shards and resolves with the rows it read. */
interface ShardWorker {
  read(shards: ShardSpec[]): Promise<number>;
  close(): void;
}

/** Long-lived worker processes (as Cloud Run instances are), started before anything is timed. */
async function startWorkers(host: Host, count: number): Promise<ShardWorker[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const proc = spawn(
        process.execPath,
        [
          resolve(import.meta.dirname, 'children', 'shard-worker.ts'),
          JSON.stringify({ rest: host.rest, storage: host.storage }),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
      await lines.next(); // 'ready'
      return {
        read: async (shards: ShardSpec[]) => {
          proc.stdin.write(`${JSON.stringify(shards)}\n`);
          const answer = await lines.next();
          return (JSON.parse(String(answer.value)) as { rows: number }).rows;
        },
        close: () => proc.stdin.end(),
      };
    }),
  );
}

/** Sharded: the executor's query jobs and shard plan, then `workers` processes each reading their share of shards. */
async function shardedPath(host: Host, workers: number): Promise<{ ms: number; cpuMs: number; rows: number }> {
  const pool = await startWorkers(host, workers);
  try {
    return await shardedRun(host, pool);
  } finally {
    for (const worker of pool) worker.close();
  }
}

async function shardedRun(host: Host, pool: ShardWorker[]): Promise<{ ms: number; cpuMs: number; rows: number }> {
  const workers = pool.length;
  const client = new BigQuery({ projectId: AT.projectId, apiEndpoint: host.rest, authClient: AUTH });
  const warehouse = new BigqueryWarehouse(client, AT);
  const { reads } = await plannedRead(warehouse);
  const shards = new BigqueryShardedReads(client, AT, null as unknown as StorageReader, { scratchDataset: 'scratch' });
  const start = performance.now();
  const cpu = process.cpuUsage();
  const key = { runId: `bench-${workers}-${Date.now()}`, computation: 'Positions', date: '2026-03-02', attempt: 1 };
  const planned = (await shards.prepare(key, reads, BATCH)) as { shards: ShardSpec[] };
  const executorCpu = cpuMs(cpu);
  const shares = Array.from({ length: workers }, (_, w) => planned.shards.filter((_, i) => i % workers === w));
  const done = await Promise.all(shares.map((share, w) => pool[w]!.read(share)));
  const ms = performance.now() - start;
  await shards.drop(key, reads.length);
  return { ms, cpuMs: executorCpu, rows: done.reduce((sum, rows) => sum + rows, 0) };
}

const perSecond = (rows: number, ms: number) => rows / (ms / 1000);

export const shardedBench: Bench = {
  name: 'sharded-reads',
  async run(): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    const host = await startHost(ROWS);
    try {
      await executorPath(host); // warm-up: JIT, connections, the fake's caches
      const today = await executorPath(host);
      const todayRate = perSecond(today.rows, today.ms);
      for (const workers of [1, 2, 4]) {
        const sharded = await shardedPath(host, workers);
        if (sharded.rows !== today.rows)
          throw new Error(`sharded read ${sharded.rows} rows, today's path ${today.rows}`);
        results.push(
          result({
            name: `sharded-reads-${workers}w`,
            subject: `${ROWS.toLocaleString('en')} rows (${ENTITIES.toLocaleString('en')} entities) through ${workers} worker(s) reading shards`,
            baseline: "today's path (executor pages REST, merges, serializes)",
            unit: 'ops/s',
            value: perSecond(sharded.rows, sharded.ms),
            baselineValue: todayRate,
            ...(workers === 4 ? { minRatio: 2, target: '>= 2x' } : { target: null }),
            notes: `rows/s; wall ${sharded.ms.toFixed(0)} ms vs ${today.ms.toFixed(0)} ms`,
          }),
        );
        if (workers === 4)
          results.push(
            result({
              name: 'sharded-reads-executor-cpu',
              subject: 'executor CPU per 1,000,000 rows, sharded (query jobs, shard plan)',
              baseline: "today's path",
              unit: 'ms',
              value: (sharded.cpuMs * 1e6) / ROWS,
              baselineValue: (today.cpuMs * 1e6) / ROWS,
              maxRatio: 0.1,
              target: '<= 0.1x',
            }),
          );
      }
    } finally {
      await host.close();
    }
    // Where the two paths cross: small windows pay the sharded path's fixed cost (query jobs, sessions).
    for (const rows of CROSSING_ROWS) {
      const small = await startHost(rows);
      try {
        await executorPath(small);
        const today = await executorPath(small);
        const sharded = await shardedPath(small, 2);
        results.push(
          result({
            name: `sharded-reads-at-${rows}`,
            subject: `${rows.toLocaleString('en')} rows read by 2 workers from shards`,
            baseline: "today's path",
            unit: 'ms',
            value: sharded.ms,
            baselineValue: today.ms,
            target: null,
            notes: 'the crossing: below ratio 1 the sharded path is faster',
          }),
        );
      } finally {
        await small.close();
      }
    }
    return results;
  },
};
