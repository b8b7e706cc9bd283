import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { extname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { Problem } from '../errors.ts';
import { isComputationClass, type ComputationClass } from '../model/computation.ts';
import { describeLoadError } from './load-error.ts';
import { probeLoad } from './probe-load.ts';

const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

/** A computation class found in a user's file, before its config is checked. */
export interface LoadedComputation {
  /** Absolute path of the file that exports it. */
  file: string;
  /** 'default' or the named export. */
  exportName: string;
  Class: ComputationClass;
}

function isSourceFile(name: string): boolean {
  return SOURCE_EXTENSIONS.has(extname(name)) && !name.endsWith('.d.ts') && !/\.(test|spec)\.[cm]?[jt]s$/.test(name);
}

/**
 * Source files of a folder, recursively, in a stable order. Files and
 * folders whose name starts with '_' or '.' are skipped: that is where
 * helper modules that are not computations live.
 */
export async function listSourceFiles(folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw cause;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('_') || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await listSourceFiles(path)));
    else if (entry.isFile() && isSourceFile(entry.name)) files.push(path);
  }
  return files;
}

/** Imports a user module. `version` busts Node's module cache after an edit. */
export async function importUserModule(file: string, version?: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file);
  if (version !== undefined) url.searchParams.set('v', version);
  return (await import(url.href)) as Record<string, unknown>;
}

/** The computation classes a module exports: its default export, else its named ones. */
function computationExports(module: Record<string, unknown>): Array<[string, ComputationClass]> {
  if (isComputationClass(module.default)) return [['default', module.default]];
  return Object.entries(module).filter((entry): entry is [string, ComputationClass] => isComputationClass(entry[1]));
}

/**
 * Loads every computation file of a folder. A file that fails to load or
 * exports no computation class becomes a problem; loading goes on so that
 * every problem is reported at once.
 */
export async function loadComputations(
  folder: string,
  root: string,
  options: { timeLimitMs?: number } = {},
): Promise<{ computations: LoadedComputation[]; problems: Problem[] }> {
  const computations: LoadedComputation[] = [];
  const problems: Problem[] = [];
  const files = await listSourceFiles(folder);
  // User code that never finishes stops here, naming its file, before this thread imports it.
  // A worker thread of the thread pool loads what the main thread already probed.
  if (options.timeLimitMs !== undefined && isMainThread) {
    const hung = await probeLoad(files, root, options.timeLimitMs);
    if (hung !== null) return { computations: [], problems: [hung] };
  }
  for (const file of files) {
    const shown = relative(root, file);
    let module: Record<string, unknown>;
    try {
      // The content in the URL: a process that loads the project again after an edit gets the new code.
      const version = createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
        .slice(0, 16);
      module = await importUserModule(file, version);
    } catch (error) {
      problems.push({ code: 'LOAD_FAILED', file: shown, message: describeLoadError(file, shown, error) });
      continue;
    }
    const found = computationExports(module);
    if (found.length === 0) {
      problems.push({
        code: 'NO_COMPUTATION',
        file: shown,
        message: `${shown} exports no computation class (a class with static getConfig() and process()). Export one as the default export, or move helper modules into a folder whose name starts with '_'.`,
      });
      continue;
    }
    for (const [exportName, Class] of found) computations.push({ file, exportName, Class });
  }
  return { computations, problems };
}
