// Benchmark child: runs a project for one date through the CLI's in-process
// runtime and prints the wall time of the run, its outcome and peak RSS.
// The built CLI (dist/, which `npm run bench` builds first), as a user runs
// it: from the sources, Node would strip the types of every module it loads
// (the threads' too) inside the timing.
const built = '../../dist/cli/main.js';
const { runCli } = (await import(built)) as typeof import('../../cli/main.ts');

const [root, date, ...extra] = process.argv.slice(2) as [string, string, ...string[]];
let out = '';
const start = performance.now();
const cpuStart = process.cpuUsage();
const code = await runCli(['run', '--project', root, '--date', date, '--json', ...extra], {
  stdout: (t) => (out += t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  isTty: false,
});
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
const parsed = JSON.parse(out) as {
  status: string;
  computations: Array<{ status: string; entities: { succeeded: number } | null }>;
};
process.stdout.write(
  JSON.stringify({
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    code,
    status: parsed.status,
    statuses: parsed.computations.reduce<Record<string, number>>(
      (acc, c) => ((acc[c.status] = (acc[c.status] ?? 0) + 1), acc),
      {},
    ),
    entities: parsed.computations.reduce((sum, c) => sum + (c.entities?.succeeded ?? 0), 0),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
