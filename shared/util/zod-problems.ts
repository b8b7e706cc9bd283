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
    // A schema's own message may already name the field; never say it twice.
    const message = plainMessage(issue);
    lines.push(message.startsWith(`${where} `) ? message : `${where} ${message}`);
  }
  return lines;
}

/** zod's default wording ("Invalid input: expected string, received undefined") in plain words. */
function plainMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: ')) {
    const received = /received (\w+)$/.exec(issue.message)?.[1];
    if (received === 'undefined') return 'is required';
    return `must be ${withArticle(issue.expected)}${received === undefined ? '' : `, not ${withArticle(received)}`}`;
  }
  if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid ')) {
    const values = issue.values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
    return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
  }
  const discriminator = /^Invalid discriminator value\. Expected (.+)$/.exec(issue.message);
  if (discriminator !== null) {
    return `must be one of ${discriminator[1]!
      .split(' | ')
      .map((v) => v.replaceAll("'", ''))
      .join(', ')}`;
  }
  if (issue.code === 'invalid_format' && issue.message.startsWith('Invalid string: ')) {
    return issue.message.slice('Invalid string: '.length);
  }
  return issue.message;
}

function withArticle(type: string): string {
  if (type === 'null' || type === 'undefined') return type;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
