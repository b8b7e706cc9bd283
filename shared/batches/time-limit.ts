/**
 * `work`, or what `fallback()` returns (or throws) once `ms` have passed
 * without it settling. The work itself cannot be stopped: a process() that
 * never returns is left behind, and only its answer is no longer awaited.
 */
export async function withTimeLimit<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(fallback());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** "300 s", "1.5 s": how long a limit was, for error texts. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
