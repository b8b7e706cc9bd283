/**
 * `npm run bench [name...]`: runs the benchmarks, each against a baseline
 * measured in the same run, and prints the ratios. Exit code 0 always: the
 * figures are information for docs/benchmarks.md, not a gate.
 */
import '../cli/quiet-warnings.ts';
import type { Bench, BenchResult } from './harness.ts';

// Loaded after the warning filter: Node warns when node:sqlite is linked, before a static import's code runs.
const { format } = await import('./harness.ts');
const { checksBench } = await import('./checks.bench.ts');
const { completionsBench } = await import('./completions.bench.ts');
const { distributedBench } = await import('./distributed.bench.ts');
const { manifestBench } = await import('./manifest.bench.ts');
const { runBench } = await import('./run.bench.ts');
const { repairBench } = await import('./repair.bench.ts');
const { shardedBench } = await import('./sharded.bench.ts');
const { warehouseBench } = await import('./warehouse.bench.ts');
const { consoleBench } = await import('./console.bench.ts');

const BENCHES: Bench[] = [
  manifestBench,
  warehouseBench,
  runBench,
  repairBench,
  distributedBench,
  checksBench,
  consoleBench,
  shardedBench,
  completionsBench,
];

const wanted = process.argv.slice(2);
const selected = wanted.length === 0 ? BENCHES : BENCHES.filter((b) => wanted.includes(b.name));
if (selected.length === 0) {
  process.stderr.write(`No benchmark named ${wanted.join(', ')}. Known: ${BENCHES.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}
const results: BenchResult[] = [];
for (const bench of selected) {
  process.stderr.write(`running ${bench.name}...\n`);
  const outcome = await bench.run();
  for (const r of Array.isArray(outcome) ? outcome : [outcome]) {
    results.push(r);
    process.stdout.write(`${format(r)}\n`);
  }
}
const targeted = results.filter((r) => r.target !== null);
process.stdout.write(
  `\n${targeted.filter((r) => r.met).length} of ${targeted.length} targets met (node ${process.version}, ${new Date().toISOString()})\n`,
);
