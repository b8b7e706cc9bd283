// npm run fuzz -- [--cases N] [--seed S]
// Runs N seeded HTTP fuzz cases (seeds S, S+1, ...) against the services on
// the emulators and the parsers in process, prints each failure with the
// command that replays it, and the figures at the end. Exit 1 on any failure.
import { parseArgs } from 'node:util';
import { fuzzParsers } from './parsers.ts';
import { startFuzzSession } from './session.ts';

const { values } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' } } });
const replay = values.seed !== undefined && values.cases === undefined;
const cases = Number(values.cases ?? (replay ? 1 : 1000));
const base = Number(values.seed ?? Math.floor(Math.random() * 1_000_000_000));
const started = Date.now();
const byStatus = new Map<number, number>();
const byKind = new Map<string, number>();
const failures: number[] = [];
process.stdout.write(`fuzz: ${cases} HTTP case(s) from seed ${base}\n`);
const session = await startFuzzSession();
try {
  for (let i = 0; i < cases; i++) {
    const result = await session.runCase(base + i);
    byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
    byKind.set(result.case.kind, (byKind.get(result.case.kind) ?? 0) + 1);
    if (result.problems.length > 0) {
      failures.push(result.case.seed);
      process.stdout.write(
        `\nFAIL seed ${result.case.seed} (${result.case.kind} ${result.case.method} ${result.case.path} -> ${result.status}):\n  ${result.problems.join('\n  ')}\n  replay: npm run fuzz -- --seed ${result.case.seed}\n`,
      );
    } else if (replay) process.stdout.write(`ok seed ${result.case.seed} -> ${result.status}\n`);
    else if ((i + 1) % 100 === 0) process.stdout.write(`${i + 1}\n`);
  }
} finally {
  await session.close();
}
const parsers = fuzzParsers(base, cases * 20);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `fuzz: ${cases} HTTP cases in ${seconds} s, ${failures.length} failed${failures.length > 0 ? ` (seeds ${failures.join(', ')})` : ''}\n` +
    `answers: ${[...byStatus.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s} x${n}`)
      .join(', ')}\n` +
    `bodies: ${[...byKind.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}\n` +
    `parsers: ${parsers.cases} cases, ${parsers.accepted} accepted, ${parsers.poison} poison, ${parsers.problems.length} problems\n`,
);
for (const problem of parsers.problems.slice(0, 20)) process.stdout.write(`  ${problem}\n`);
process.exitCode = failures.length > 0 || parsers.problems.length > 0 ? 1 : 0;
