const DAY_MS = 86_400_000;

/** When a state written at `writtenAt` may be purged: `ttlDays` later. */
export function expiresAt(writtenAt: Date, ttlDays: number): string {
  return new Date(writtenAt.getTime() + ttlDays * DAY_MS).toISOString();
}
