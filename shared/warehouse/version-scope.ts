import type { VersionScope } from '../ports/warehouse.ts';

/**
 * One version query per key and scope: every lookup of the scope asking the
 * same key shares the first one's answer, and `scope.queries` counts the
 * queries sent. A query that fails is forgotten, so a later lookup of the
 * same run (a retried pass, once a permission is granted) asks again
 * instead of failing with the old error.
 */
export function sharedVersionQuery<T>(scope: VersionScope, key: string, query: () => Promise<T>): Promise<T> {
  const known = scope.memo.get(key) as Promise<T> | undefined;
  if (known !== undefined) return known;
  scope.queries++;
  const asked = query();
  scope.memo.set(key, asked);
  asked.catch(() => {
    if (scope.memo.get(key) === asked) scope.memo.delete(key);
  });
  return asked;
}
