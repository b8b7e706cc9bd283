// A rule module: shared business logic. A computation lists it in `rules`
// and reads it as ctx.rules.activity; editing it re-runs those computations.

/** Active days in the last seven that make a user 'regular'. */
export const REGULAR_DAYS = 4;

export function levelOf(activeDays: number): string {
  if (activeDays >= REGULAR_DAYS) return 'regular';
  return activeDays > 0 ? 'occasional' : 'inactive';
}
