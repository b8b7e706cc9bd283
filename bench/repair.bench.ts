import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { child } from './child.ts';
import { result, type Bench, type BenchResult } from './harness.ts';
import { BENCH_DATE, dagProject } from './projects.ts';

interface RunReading {
  ms: number;
  /** CPU time of the run (every thread of the process): the cost, steadier than wall time on a busy machine. */
  cpuMs: number;
  status: string;
  statuses: Record<string, number>;
}

/** Gives the DAG project's events rows on the 7 dates before BENCH_DATE too (the same rows, moved a day each). */
async function spreadOverWindow(root: string, days: number): Promise<void> {
  const instance = await DuckDBInstance.create(join(root, 'warehouse.duckdb'));
  const connection = await instance.connect();
  await connection.run(`INSERT INTO events
    SELECT date - CAST(d AS INTEGER) AS date, entity_id, value FROM events, range(1, ${days + 1}) t(d)`);
  connection.closeSync();
  instance.closeSync();
}

async function best(root: string, args: string[], repeat: number): Promise<RunReading> {
  let fastest: RunReading | undefined;
  for (let i = 0; i < repeat; i++) {
    const reading = await child<RunReading>('run-project.ts', [root, BENCH_DATE, ...args]);
    if (reading.status !== 'completed') throw new Error(`benchmark run did not complete: ${JSON.stringify(reading)}`);
    if (fastest === undefined || reading.cpuMs < fastest.cpuMs) fastest = reading;
  }
  return fastest!;
}

/**
 * The repair window's cost on a no-op scheduled run: the 02:00 run of a
 * date re-examines the 7 dates before it (input versions, states) and
 * finds nothing to repair; against a plain no-op run of that one date.
 */
export const repairBench: Bench = {
  name: 'repair',
  async run(): Promise<BenchResult> {
    const folder = await mkdtemp(join(tmpdir(), 'compute-bench-repair-'));
    try {
      const root = join(folder, 'dag');
      await dagProject(root, 50, 5, 5_000);
      await spreadOverWindow(root, 7);
      // Compute the window and the date once, so every later run is a no-op.
      const first = await child<RunReading>('run-project.ts', [root, '2026-01-19', '--to', BENCH_DATE]);
      if (first.status !== 'completed') throw new Error(`the first run did not complete: ${JSON.stringify(first)}`);
      const plain = await best(root, [], 3);
      const scheduled = await best(root, ['--schedule', '02:00'], 3);
      if (scheduled.statuses.skipped !== 50)
        throw new Error(`the scheduled run did not skip everything: ${JSON.stringify(scheduled.statuses)}`);
      return result({
        name: 'repair-window',
        subject:
          'CPU time of a no-op scheduled run (02:00) of a 50-computation DAG, 5,000 entities, re-examining the 7 dates before it',
        baseline: 'a plain no-op run of that one date',
        unit: 'ms',
        value: scheduled.cpuMs,
        baselineValue: plain.cpuMs,
        target: '<= 1.5x',
        maxRatio: 1.5,
        notes: `CPU time (best of 3); wall time ${scheduled.ms.toFixed(0)} ms vs ${plain.ms.toFixed(0)} ms`,
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  },
};
