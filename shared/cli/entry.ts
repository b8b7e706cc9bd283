import { runCli } from './main.ts';

/**
 * Node marks the TypeScript stripping and SQLite APIs we rely on as
 * experimental and warns on every start; the warning says nothing a user
 * can act on, so the CLI hides just those.
 */
function hideExperimentalWarnings(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = typeof warning === 'string' ? type : warning.name;
    if (name === 'ExperimentalWarning' && /stripTypeScriptTypes|SQLite|Type Stripping/i.test(text)) return;
    (emit as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** The process side of the CLI: the only place here that reads argv, env and the terminal. */
export async function main(): Promise<void> {
  hideExperimentalWarnings();
  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
