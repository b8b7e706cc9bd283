/**
 * `npm run bench [name...]`: runs the benchmarks, each against a baseline
 * measured in the same run, and prints the ratios. Exit code 0 always: the
 * figures are information for docs/benchmarks.md, not a gate.
 */
import { format, type Bench, type BenchResult } from './harness.ts';
import { distributedBench } from './distributed.bench.ts';
import { manifestBench } from './manifest.bench.ts';
import { runBench } from './run.bench.ts';
import { warehouseBench } from './warehouse.bench.ts';

const BENCHES: Bench[] = [manifestBench, warehouseBench, runBench, distributedBench];

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
