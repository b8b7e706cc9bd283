import type { LeaseToken } from '../ports/state-store.ts';
import { renewLease } from './leases.ts';
import { heartbeatEvery, type ServicePorts } from '../runtime/service-ports.ts';

/**
 * Renews a lease every fifth of its staleness while `work` runs, so the
 * watchdog never mistakes a busy holder (an executor fanning out or
 * finalizing, a worker on one of its batches) for a gone one. `held()`
 * turns false once a heartbeat finds the lease taken over: the work should stop.
 */
export async function withHeartbeat<T>(
  ports: Pick<ServicePorts, 'state' | 'clock' | 'settings' | 'log' | 'activeLeases'>,
  lease: LeaseToken,
  work: (held: () => boolean) => Promise<T>,
): Promise<T> {
  let held = true;
  ports.activeLeases?.add(lease);
  const timer = setInterval(() => {
    renewLease(ports.state.leases, lease, ports.clock.now(), ports.settings.ownerId).then(
      (renewed) => {
        if (!renewed) held = false;
      },
      (error: unknown) => ports.log.warn({ error: String(error) }, 'Lease heartbeat failed'),
    );
  }, heartbeatEvery(ports.settings));
  timer.unref();
  try {
    return await work(() => held);
  } finally {
    clearInterval(timer);
    ports.activeLeases?.delete(lease);
  }
}
