import { PoisonMessageError, UsageError, UserError } from '../errors.ts';
import { helpText, parseFlags } from './args.ts';
import type { CliIo, Command } from './command.ts';
import { graphCommand } from './commands/graph.ts';
import { analyzeCommand } from './commands/analyze.ts';
import { bootstrapCommand } from './commands/bootstrap.ts';
import { initCommand } from './commands/init.ts';
import { schedulesCommand } from './commands/schedules.ts';
import { serveCommand } from './commands/serve.ts';
import { executeCommand } from './commands/execute.ts';
import { renderCommand } from './commands/render.ts';
import { showCommand } from './commands/show.ts';
import { runCommand } from './commands/run.ts';
import { statusCommand } from './commands/status.ts';
import { sweepCommand } from './commands/sweep.ts';
import { validateCommand } from './commands/validate.ts';
import { didYouMean } from '../util/nearest.ts';

const COMMANDS: Command[] = [
  validateCommand,
  graphCommand,
  renderCommand,
  analyzeCommand,
  runCommand,
  statusCommand,
  sweepCommand,
  executeCommand,
  showCommand,
  serveCommand,
  bootstrapCommand,
  schedulesCommand,
  initCommand,
];

function usage(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `Usage: compute <command> [flags]\n\nCommands:\n${rows.join('\n')}\n\nEvery command takes --project DIR and --json. 'compute <command> --help' lists its flags.\n`;
}

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 the work
 * failed or the project is invalid, 2 bad usage.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command === undefined) {
      throw new UsageError(
        `Unknown command '${name}'.${didYouMean(
          name,
          COMMANDS.map((c) => c.name),
        )}\n\n${usage()}`,
      );
    }
    const { flags, positionals } = parseFlags(command.name, rest, command.flags);
    if (flags.help === true) {
      io.stdout(helpText(command.name, command.summary, command.flags));
      return 0;
    }
    return await command.run({ io, flags, positionals });
  } catch (error) {
    const json = rest.includes('--json');
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    if (error instanceof UserError || error instanceof PoisonMessageError) {
      if (json)
        io.stdout(
          `${JSON.stringify({ ok: false, errors: error instanceof UserError ? error.problems : [{ code: error.code, message: error.message }] }, null, 2)}\n`,
        );
      io.stderr(`${error.message}\n`);
      return 1;
    }
    io.stderr(`Unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
