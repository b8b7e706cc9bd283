import { runCli } from './main.ts';
import { runOverProcess } from './process-io.ts';

/** The process side of the CLI: every command. */
export function main(): Promise<void> {
  return runOverProcess(runCli);
}
