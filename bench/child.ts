import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a benchmark child script under this Node and parses its JSON output. */
export async function child<T>(script: string, args: string[], nodeFlags: string[] = []): Promise<T> {
  const { stdout } = await run(
    process.execPath,
    [...nodeFlags, '--disable-warning=ExperimentalWarning', resolve(import.meta.dirname, 'children', script), ...args],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return (stdout.trim() === '' ? undefined : JSON.parse(stdout)) as T;
}
