import { extname, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Problem } from '../errors.ts';

/**
 * Imports the computation files and calls their getConfig() once in a
 * worker thread first, under a time limit, so that user code which never
 * finishes (a loop at import or in getConfig, a top-level await that never
 * settles) ends in a message naming the file instead of a hung command.
 * Resolves to that problem, or null when every file finished in time.
 */
export async function probeLoad(files: readonly string[], root: string, timeLimitMs: number): Promise<Problem | null> {
  if (files.length === 0) return null;
  const entry = new URL(`./probe-load-entry${extname(new URL(import.meta.url).pathname)}`, import.meta.url);
  const thread = new Worker(entry, { workerData: { files }, stdout: true, stderr: true });
  let at: { file: string; step: string } | null = null;
  const seconds = `${Math.round(timeLimitMs / 100) / 10} s`;
  const problem = (text: string): Problem => {
    const shown = at === null ? '(no file)' : relative(root, at.file);
    return { code: 'LOAD_TIMEOUT', file: shown, message: `${shown} ${text}` };
  };
  return await new Promise<Problem | null>((resolve) => {
    const timer = setTimeout(() => {
      void thread.terminate();
      resolve(
        problem(
          at?.step === 'getConfig'
            ? `did not answer getConfig() within ${seconds} (loadTimeoutSeconds): does it loop?`
            : `did not finish loading within ${seconds} (loadTimeoutSeconds): does it loop or wait forever at import?`,
        ),
      );
    }, timeLimitMs);
    thread.on('message', (message: { file?: string; step?: string; done?: boolean }) => {
      if (message.done === true) {
        clearTimeout(timer);
        void thread.terminate();
        resolve(null);
      } else if (message.file !== undefined) at = { file: message.file, step: message.step ?? 'import' };
    });
    thread.on('error', () => {
      // A crash of the probe itself: the real load reports what the code does.
      clearTimeout(timer);
      resolve(null);
    });
    thread.on('exit', () => {
      clearTimeout(timer);
      // Gone without saying done: its event loop emptied while an import still waited.
      resolve(
        problem(
          'never finished loading: a top-level await in it (or in a module it imports) waits for something that never comes',
        ),
      );
    });
  });
}
