import { errorText, PoisonMessageError, UsageError, UserError } from '../shared/errors.ts';
import { printableLines } from '../shared/util/safe-text.ts';
import { didYouMean } from '../shared/util/nearest.ts';
import { helpText, parseFlags } from './args.ts';
import type { CliIo, Command } from './command.ts';

function usage(commands: readonly Command[]): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `Usage: compute <command> [flags]\n\nCommands:\n${rows.join('\n')}\n\nEvery command takes --project DIR and --json. 'compute <command> --help' lists its flags.\n`;
}

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 the work
 * failed or the project is invalid, 2 bad usage.
 */
export async function dispatch(commands: readonly Command[], argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (command === undefined) {
      throw new UsageError(
        `Unknown command '${name}'.${didYouMean(
          name,
          commands.map((c) => c.name),
        )}\n\n${usage(commands)}`,
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
      io.stderr(`${printableLines(error.message)}\n`);
      return 1;
    }
    io.stderr(
      `Unexpected error: ${printableLines(error instanceof Error ? (error.stack ?? error.message) : errorText(error))}\n`,
    );
    return 1;
  }
}
