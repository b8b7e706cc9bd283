import { normalizedSourceHash } from './source-hash.ts';
import { canonicalJson, sha256 } from '../util/hash.ts';
import type { Check } from '../model/check-schema.ts';

const cache = new WeakMap<readonly Check[], string>();

/** A custom check's function by its syntax tree: formatting and comments do not count. */
function functionHash(fn: (...args: never[]) => unknown): string {
  const source = fn.toString();
  try {
    return normalizedSourceHash(`(${source})`);
  } catch {
    // Method shorthand (`check(result) { ... }`) is not an expression alone.
    try {
      return normalizedSourceHash(`({${source}})`);
    } catch {
      return sha256(source);
    }
  }
}

/**
 * The `checks` component of the composite hash: the check definitions as
 * data, a custom check's function by its normalized source. The code hash
 * leaves the `checks` of getConfig() out (source-hash.ts), so editing only
 * a check changes only this component, and the executor then judges the
 * stored results again without running the computation.
 */
export function checksHash(checks: readonly Check[]): string {
  const cached = cache.get(checks);
  if (cached !== undefined) return cached;
  const hash = sha256(
    canonicalJson(
      checks.map((check) => (check.type === 'custom' ? { ...check, check: functionHash(check.check) } : check)),
    ),
  );
  cache.set(checks, hash);
  return hash;
}
