import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from './temp-project.ts';

/** The preload (`node --import`) that shifts a child process's wall clock: test/support/clock-offset.mjs. */
export const CLOCK_OFFSET_PRELOAD = pathToFileURL(join(PACKAGE_ROOT, 'test/support/clock-offset.mjs')).href;

/** Node arguments and environment that make a child's clock `offsetMs` off (none for 0), as a host whose clock is. */
export function shiftedClock(offsetMs: number): { execArgv: string[]; env: Record<string, string> } {
  if (offsetMs === 0) return { execArgv: [], env: {} };
  return {
    execArgv: ['--import', CLOCK_OFFSET_PRELOAD],
    env: { COMPUTE_TEST_CLOCK_OFFSET_MS: String(offsetMs) },
  };
}
