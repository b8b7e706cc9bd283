import { runCli } from './main.ts';

/** The process side of the CLI: the only place here that reads argv, env and the terminal. */
export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
