import type { Manifest } from '../manifest/manifest.ts';
import { PUSH_DEADLINE_MS, REQUEST_MARGIN_MS, timeoutsFor, type RuntimeSettings } from '../runtime/service-ports.ts';

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Checks, at a service's start, that the work one request holds fits in the
 * request: past its timeout Cloud Run closes the connection and throttles
 * the CPU, Pub/Sub redelivers, and the redelivery is acknowledged against
 * the still-live lease while the first attempt crawls on until the watchdog
 * restarts it. A worker's batch budget must also end before Pub/Sub's push
 * deadline. Returns one line per limit that does not fit, naming the
 * setting to change.
 */
export function requestLimitProblems(
  settings: RuntimeSettings,
  manifest: Manifest,
  roles: readonly string[],
): string[] {
  const problems: string[] = [];
  const push = PUSH_DEADLINE_MS - REQUEST_MARGIN_MS;
  const budget = settings.requestBudgetMs;
  const requestRoom = (ms: number) =>
    `the request timeout ${seconds(ms + REQUEST_MARGIN_MS)} (COMPUTE_REQUEST_TIMEOUT_SECONDS, the Terraform module's service timeout) less ${seconds(REQUEST_MARGIN_MS)} for storing and answering: ${seconds(ms)}`;
  if (roles.includes('worker')) {
    // Entities' limits are capped by the batch's budget, so the budget alone bounds a batch.
    const room =
      budget !== null && budget < push
        ? requestRoom(budget)
        : `Pub/Sub's push deadline ${seconds(PUSH_DEADLINE_MS)} less ${seconds(REQUEST_MARGIN_MS)} for storing and answering: ${seconds(push)}`;
    const limit = Math.min(budget ?? push, push);
    if (settings.batchTimeoutMs > limit)
      problems.push(
        `A batch may run ${seconds(settings.batchTimeoutMs)} (execution.batchTimeoutSeconds), more than ${room}. Set execution.batchTimeoutSeconds to at most ${Math.floor(limit / 1000)}.`,
      );
  }
  if (budget === null) return problems;
  const room = requestRoom(budget);
  if (roles.includes('executor')) {
    for (const entry of manifest.computations.filter((c) => c.config.type === 'global')) {
      const { computationMs } = timeoutsFor(settings, entry.config);
      if (computationMs > budget)
        problems.push(
          `The global computation ${entry.name} runs inside one pass.ready request and may take ${seconds(computationMs)} (its computation timeout), more than ${room}. Set timeouts.computationSeconds of ${entry.name} (or execution.computationTimeoutSeconds) to at most ${Math.floor(budget / 1000)}.`,
        );
    }
  }
  return problems;
}

/**
 * Whether the workers can take every batch the executors may have out at
 * once; a batch beyond that gets 429 from Cloud Run, which Pub/Sub counts
 * as a failed delivery. Null when it fits or the numbers are not known.
 */
export function workerCapacityWarning(
  settings: Pick<RuntimeSettings, 'computationConcurrency' | 'maxInFlightBatches'>,
  fleet: { workerSlots?: number | undefined; executorInstances?: number | undefined },
): string | null {
  if (fleet.workerSlots === undefined || fleet.executorInstances === undefined) return null;
  const perExecutor = settings.computationConcurrency * settings.maxInFlightBatches;
  const wanted = perExecutor * fleet.executorInstances;
  if (wanted <= fleet.workerSlots) return null;
  return `The executors may have ${wanted} batches out at once (${fleet.executorInstances} instances x execution.computationConcurrency ${settings.computationConcurrency} x execution.maxInFlightBatches ${settings.maxInFlightBatches}) but the workers take ${fleet.workerSlots} (COMPUTE_WORKER_SLOTS: worker.max_instances x worker.concurrency); the rest get 429 and are redelivered, then dead-lettered. Raise worker.max_instances, or set executor_batches_in_flight to ${perExecutor} in the module so its check sees it.`;
}
