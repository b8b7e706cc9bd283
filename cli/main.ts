import type { CliIo, Command } from './command.ts';
import { dispatch } from './dispatch.ts';
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
import { runsCommand } from './commands/runs.ts';
import { uiCommand } from './commands/ui.ts';
import { sweepCommand } from './commands/sweep.ts';
import { validateCommand } from './commands/validate.ts';

const COMMANDS: Command[] = [
  validateCommand,
  graphCommand,
  renderCommand,
  analyzeCommand,
  runCommand,
  statusCommand,
  runsCommand,
  uiCommand,
  sweepCommand,
  executeCommand,
  showCommand,
  serveCommand,
  bootstrapCommand,
  schedulesCommand,
  initCommand,
];

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 the work
 * failed or the project is invalid, 2 bad usage.
 */
export function runCli(argv: string[], io: CliIo): Promise<number> {
  return dispatch(COMMANDS, argv, io);
}
