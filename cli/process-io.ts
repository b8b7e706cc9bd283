import type { CliIo } from './command.ts';

/**
 * Runs a CLI over the real process: argv, env, the terminal. The only place
 * here that reads them; `entry.ts` (every command) and `init-entry.ts`
 * (init alone, on an older Node) share it.
 */
export async function runOverProcess(run: (argv: string[], io: CliIo) => Promise<number>): Promise<void> {
  // `compute show | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const code = await run(process.argv.slice(2), {
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
