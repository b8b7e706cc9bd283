import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

/**
 * The thread of {@link probeLoad}: imports each computation file and calls
 * the getConfig() of what it exports, saying before each step which file
 * it is in. Errors are left to the real load, which reports them; only
 * how long each step takes matters here.
 */
const files = (workerData as { files: string[] }).files;
for (const file of files) {
  parentPort!.postMessage({ file, step: 'import' });
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch {
    continue;
  }
  parentPort!.postMessage({ file, step: 'getConfig' });
  for (const value of Object.values(module)) {
    const getConfig = (value as { getConfig?: unknown } | null)?.getConfig;
    if (typeof value !== 'function' || typeof getConfig !== 'function') continue;
    try {
      JSON.stringify(getConfig.call(value));
    } catch {
      // The real load reports it.
    }
  }
}
parentPort!.postMessage({ done: true });
