import { initCommand } from './commands/init.ts';
import { dispatch } from './dispatch.ts';
import { runOverProcess } from './process-io.ts';

/**
 * `compute init` alone, for a Node older than the rest of the CLI needs
 * (bin/compute.js chooses). It loads nothing beyond the scaffold and DuckDB,
 * so it runs on Node 20: a user scaffolds a project with the machine's
 * Node, and the project brings Node 24 for everything after.
 */
export function main(): Promise<void> {
  return runOverProcess((argv, io) => dispatch([initCommand], argv, io));
}
