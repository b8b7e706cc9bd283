import { readFileSync } from 'node:fs';
import { UserError } from '../shared/errors.ts';

/** What a process is running, from /proc where there is one: 'node .../compute.js run --date 2026-01-26'. */
function commandOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/**
 * DuckDB lets one process at a time open a warehouse file. When another
 * holds it, say which process that is and what to do, instead of DuckDB's
 * "IO Error: Could not set lock"; other errors are returned unchanged.
 */
export function explainBusyWarehouse(error: unknown, path: string): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (!/Could not set lock/i.test(text)) return error;
  const pid = Number(/\(PID (\d+)\)/.exec(text)?.[1] ?? NaN);
  const command = Number.isInteger(pid) ? commandOf(pid) : null;
  const who = Number.isInteger(pid) ? `process ${pid}${command === null ? '' : ` (${command})`}` : 'another process';
  return new UserError(
    'PROJECT_BUSY',
    `The warehouse file ${path} is in use by ${who}: DuckDB lets one process at a time open it. If a compute run is still running there, wait for it to finish${Number.isInteger(pid) ? `; if it is stuck, stop it (kill ${pid})` : ''}, then run again: compute sweep (or the same compute run) takes over what it left running.`,
    { cause: error },
  );
}

/**
 * SQLite lets any number of processes share the state file, but one that
 * stops (or hangs) while it holds the file's write lock, as a `compute run`
 * creating the file does, keeps the others from opening it: they give up
 * after the busy timeout with "database is locked". Say so and what to do;
 * other errors are returned unchanged.
 */
export function explainLockedState(error: unknown, path: string): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (!/database is locked/i.test(text)) return error;
  return new UserError(
    'PROJECT_BUSY',
    `The state file ${path} is locked by another process that kept it locked for over 10 s: a compute command stopped or stuck while writing it. If a compute run is still running there, wait for it to finish; if it is stuck, stop it, then run again: compute sweep (or the same compute run) takes over what it left running.`,
    { cause: error },
  );
}
