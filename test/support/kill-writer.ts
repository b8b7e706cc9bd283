import { spawn } from 'node:child_process';

/**
 * Runs a writer child process (a TypeScript file under test/support/children)
 * and kills it with SIGKILL once `killNow` says so for a line it wrote on
 * stdout, after `delayMs`. Resolves once it died of the SIGKILL; rejects
 * when it exited otherwise (with its stderr).
 */
export function runUntilKilled(
  script: string,
  args: string[],
  killNow: (line: string) => boolean,
  delayMs = 0,
): Promise<void> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<void>((done, fail) => {
    let buffer = '';
    let killing = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines)
        if (killNow(line) && !killing && child.exitCode === null) {
          killing = true;
          // At once (in this handler, so no later line is counted), or after the delay.
          if (delayMs === 0) child.kill('SIGKILL');
          else setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
    });
    child.once('exit', (code, signal) =>
      signal === 'SIGKILL' ? done() : fail(new Error(`writer exited with ${code}: ${stderr}`)),
    );
  });
}
