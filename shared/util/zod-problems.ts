import type { z } from 'zod';
import { didYouMean } from './nearest.ts';

/** A readable path such as `requires.user_logins.lookback`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * One line per zod issue, naming the field, what is wrong, and for an
 * unknown key the nearest allowed one.
 */
export function describeIssues(
  error: z.ZodError,
  allowedKeys: (path: readonly PropertyKey[]) => readonly string[] = () => [],
): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(issue.path);
      for (const key of issue.keys) {
        const where = issuePath([...issue.path, key]);
        const hint = allowed.length > 0 ? `${didYouMean(key, allowed)} Allowed: ${allowed.join(', ')}.` : '';
        lines.push(`field '${where}' is not a known option.${hint}`);
      }
      continue;
    }
    const where = issue.path.length === 0 ? 'the value' : `field '${issuePath(issue.path)}'`;
    lines.push(`${where} ${issue.message}`);
  }
  return lines;
}
