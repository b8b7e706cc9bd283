// Benchmark child: runs the checked project for one date (forced), then
// times its result checks alone over the results that run stored, streamed
// from the result store as the executor reads them.
import { runChecks } from '../../shared/checks/run-checks.ts';
import { runCli } from '../../cli/main.ts';
import { openWarehouse } from '../../cli/wiring.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../shared/project/project-config.ts';

const [root, date] = process.argv.slice(2) as [string, string];
let out = '';
const start = performance.now();
await runCli(['run', '--project', root, '--date', date, '--force', '--json'], {
  stdout: (t) => (out += t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  isTty: false,
});
const runMs = performance.now() - start;
const status = (JSON.parse(out) as { status: string }).status;

const project = await loadProjectConfig(root, process.env);
const entry = (await requireManifest(project)).byName.get('CheckedRows')!;
const opened = await openWarehouse(project);
let checksMs = Infinity;
let outcomes: Awaited<ReturnType<typeof runChecks>> = [];
try {
  for (let i = 0; i < 3; i++) {
    const begin = performance.now();
    outcomes = await runChecks(entry.config.checks, opened.results.stream(entry.name, date), null);
    checksMs = Math.min(checksMs, performance.now() - begin);
  }
} finally {
  await opened.close();
}
process.stdout.write(
  JSON.stringify({
    runMs,
    status,
    checksMs,
    checked: outcomes[0]?.checked ?? 0,
    passed: outcomes.every((o) => o.passed),
  }),
);
