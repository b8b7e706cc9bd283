import type { PassReady } from '../shared/events/contracts.ts';
import { StaleLeaseError } from '../shared/ports/state-store.ts';
import { checkPass, runOf } from '../shared/state/event-checks.ts';
import { forEachLimited } from '../shared/runtime/service-ports.ts';
import { drive } from './drive.ts';
import type { ExecutorParts } from './parts.ts';
import { failOrRetry } from './retry.ts';

/**
 * A pass of a date is ready: drives each of its computations in the run,
 * `computationConcurrency` at once. One computation's error never stops the
 * others: it is retried with the pass (the error is rethrown once all
 * were driven), then fails alone.
 */
export async function onPassReady(parts: ExecutorParts, event: PassReady): Promise<void> {
  const { state, manifest, settings, log } = parts.ports;
  // The planner records a run before it publishes its passes, and each pass before it publishes it.
  const run = await runOf(state, event);
  await checkPass(state, run, event);
  const names = (manifest.passes[event.pass] ?? []).filter(
    (name) => run.computations === null || run.computations.includes(name),
  );
  let retry: { error: unknown } | null = null;
  await forEachLimited(names, settings.computationConcurrency, async (name) => {
    const item = { runId: run.runId, entry: manifest.byName.get(name)!, date: event.date };
    try {
      await drive(parts, run, item, event.reclaim);
    } catch (error) {
      if (error instanceof StaleLeaseError) {
        log.warn({ runId: run.runId, computation: name, date: event.date }, error.message);
        return;
      }
      try {
        await failOrRetry(parts, item, error);
      } catch (again) {
        retry ??= { error: again };
      }
    }
  });
  if (retry !== null) throw (retry as { error: unknown }).error;
}
