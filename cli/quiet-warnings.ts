/**
 * Node marks the TypeScript-stripping and SQLite APIs used here as
 * experimental and warns on every start; the warning says nothing a user can
 * act on. Importing this module filters just those warnings in this thread.
 * Import it first (before anything that loads node:sqlite or strips types):
 * the CLI entry does, and so does each worker thread, whose `process` is its own.
 */
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;

function isNoise(warning: unknown, rest: unknown[]): boolean {
  const text = typeof warning === 'string' ? warning : warning instanceof Error ? warning.message : '';
  const option = rest[0];
  const type =
    typeof option === 'string'
      ? option
      : ((option as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined));
  return type === 'ExperimentalWarning' && /stripTypeScriptTypes|SQLite|Type Stripping/i.test(text);
}

process.emitWarning = (warning: unknown, ...rest: unknown[]) => {
  if (isNoise(warning, rest)) return;
  emitWarning(warning, ...rest);
};

export {};
