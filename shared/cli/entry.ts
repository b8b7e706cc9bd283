import { runCli } from './main.ts';

/** The process side of the CLI: the only place here that reads argv, env and the terminal. */
export async function main(): Promise<void> {
  // `compute show | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stderr.isTTY === true,
    // NO_COLOR (no-color.org) turns colours off wherever output goes.
    stdoutIsTty: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  });
  process.exitCode = code;
}
