import { resolve } from 'node:path';
import { loadProjectConfig, type ProjectConfig } from '../shared/project/project-config.ts';
import { stringFlag, type FlagSpec, type Flags } from './args.ts';

/** What a command may touch of the outside world; the CLI entry fills it from the process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether stderr is a terminal (progress display). */
  isTty: boolean;
  /** Whether stdout is a terminal (colours in the summary). (Default: false) */
  stdoutIsTty?: boolean;
}

export interface CommandInput {
  io: CliIo;
  flags: Flags;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Returns the exit code: 0 success, 1 the work failed or is invalid. */
  run(input: CommandInput): Promise<number>;
}

export function projectRoot(input: CommandInput): string {
  return resolve(input.io.cwd, stringFlag(input.flags, 'project') ?? '.');
}

export function loadProject(input: CommandInput): Promise<ProjectConfig> {
  return loadProjectConfig(projectRoot(input), input.io.env);
}

export function printJson(input: CommandInput, value: unknown): void {
  input.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
