import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A lease owner id: host, pid and a random part, so a dead local holder can be recognized. */
export function newOwnerId(pid = process.pid): string {
  return `${hostname()}:${pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * Whether an owner id names a process on this host that no longer exists.
 * Such a lease can be taken over at once instead of after its expiry.
 */
export function ownerIsDeadHere(ownerId: string): boolean {
  const [host, pidText] = ownerId.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
