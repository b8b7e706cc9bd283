// npm run chaos -- [--iterations N] [--seed S] [--concurrency C]
// Runs N seeded chaos iterations (seeds S, S+1, ...), prints each failure
// with the command that replays it, and the figures at the end. Exit 1 on
// any failure.
import { parseArgs } from 'node:util';
import { runIteration, type IterationResult } from './iteration.ts';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const replay = values.seed !== undefined && values.iterations === undefined;
const iterations = Number(values.iterations ?? (replay ? 1 : 50));
const base = Number(values.seed ?? Math.floor(Math.random() * 1_000_000_000));
const concurrency = Number(values.concurrency ?? 1);
const started = Date.now();
const failures: IterationResult[] = [];
const kinds = new Map<string, number>();
let fired = 0;
let done = 0;
let next = 0;

async function worker(): Promise<void> {
  while (next < iterations) {
    const seed = base + next++;
    const result = await runIteration(seed);
    done++;
    if (result.fired) fired++;
    // Faults by their first target; the other plans by kind (kill, pause, offset, crash, duplicates).
    const kind = result.kind === 'faults' ? result.fault.split(' ')[0]!.replace(/#.*/, '') : result.kind;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (result.problems.length > 0) {
      failures.push(result);
      process.stdout.write(
        `\nFAIL seed ${seed} (${result.fault}, ${result.ms} ms):\n  ${result.problems.join('\n  ')}\n  replay: npm run chaos -- --seed ${seed}\n`,
      );
    } else if (replay) process.stdout.write(`ok seed ${seed} (${result.fault}, ${result.ms} ms)\n`);
    if (replay && result.notes.length > 0) process.stdout.write(`  ${result.notes.join('\n  ')}\n`);
    else process.stdout.write(done % 50 === 0 ? `${done}\n` : '.');
  }
}

process.stdout.write(`chaos: ${iterations} iteration(s) from seed ${base}, ${concurrency} at a time\n`);
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `\nchaos: ${iterations} iterations in ${seconds} s, ${failures.length} failed${failures.length > 0 ? ` (seeds ${failures.map((f) => f.seed).join(', ')})` : ''}\n` +
    `the fault happened in ${fired} of them (a call past a run's last one never does)\n` +
    `by kind (faults by first target): ${[...kinds.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}\n`,
);
process.exitCode = failures.length > 0 ? 1 : 0;
