import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../shared/ports/state-store.ts';
import { holderGone } from '../../../shared/state/leases.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const STALE_MS = 300_000;

function lease(fields: Partial<Lease>): Lease {
  return {
    computation: 'Totals',
    date: '2026-03-01',
    owner: `${hostname()}:${process.pid}:abcd`,
    token: 1,
    attempt: 1,
    acquiredAt: '2026-03-01T11:59:00Z',
    heartbeatAt: null,
    released: false,
    ...fields,
  };
}

/** The one rule behind takeovers, the watchdog and `compute status`'s stale flag. */
describe('holderGone', () => {
  it('leaves a live holder alone: heartbeat within the staleness, process alive', () => {
    expect(holderGone(lease({ heartbeatAt: '2026-03-01T11:58:00Z' }), STALE_MS, NOW)).toBeNull();
  });

  it('names a released lease, a silent one, and one whose process on this host is gone', () => {
    expect(holderGone(lease({ released: true }), STALE_MS, NOW)).toBe('lease released');
    expect(holderGone(lease({ acquiredAt: '2026-03-01T11:00:00Z' }), STALE_MS, NOW)).toBe('lease stale (no heartbeat)');
    // A pid that existed and exited: its process is gone.
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(holderGone(lease({ owner: `${hostname()}:${child.pid}:abcd` }), STALE_MS, NOW)).toBe(
      'holder process on this host is gone',
    );
    // Another host's process cannot be checked from here: only silence frees it.
    expect(holderGone(lease({ owner: `elsewhere:${child.pid}:abcd` }), STALE_MS, NOW)).toBeNull();
  });
});
