// npm run property -- [--cases N] [--seed S]
// Runs N seeded cases of the honest-state property (seeds S, S+1, ...),
// prints each failure with the command that replays it, and the figures at
// the end. Exit 1 on any failure.
import '../../cli/quiet-warnings.ts';
import { parseArgs } from 'node:util';
import { checkCase } from './repair-property.ts';

const { values } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' } } });
const replay = values.seed !== undefined && values.cases === undefined;
const cases = Number(values.cases ?? (replay ? 1 : 50));
const base = Number(values.seed ?? Math.floor(Math.random() * 1_000_000_000));
const started = Date.now();
let failed = 0;
for (let i = 0; i < cases; i++) {
  const result = await checkCase(base + i);
  if (result.problems.length > 0) {
    failed++;
    process.stdout.write(
      `\nFAIL seed ${result.seed} [${result.summary}]:\n  ${result.problems.join('\n  ')}\n  replay: npm run property -- --seed ${result.seed}\n`,
    );
  } else process.stdout.write(replay ? `ok seed ${result.seed} [${result.summary}]\n` : '.');
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `\n${cases - failed} passed, ${failed} failed (base seed ${base}, ${seconds} s, ${(Number(seconds) / cases).toFixed(2)} s a case)\n`,
);
process.exit(failed > 0 ? 1 : 0);
