import type { Manifest } from '../manifest/manifest.ts';
import { REQUEST_MARGIN_MS, timeoutsFor, type RuntimeSettings } from './ports.ts';

/**
 * Checks, at a service's start, that the work one request holds fits in the
 * request: past its timeout Cloud Run closes the connection and throttles
 * the CPU, Pub/Sub redelivers, and the redelivery is acknowledged against
 * the still-live lease while the first attempt crawls on until the watchdog
 * restarts it. Returns one line per limit that does not fit, naming the
 * setting to change; none when no request timeout is known.
 */
export function requestLimitProblems(
  settings: RuntimeSettings,
  manifest: Manifest,
  roles: readonly string[],
): string[] {
  const budget = settings.requestBudgetMs;
  if (budget === null) return [];
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  const timeout = seconds(budget + REQUEST_MARGIN_MS);
  const room = `the request timeout ${timeout} (COMPUTE_REQUEST_TIMEOUT_SECONDS, the Terraform module's service timeout) less ${seconds(REQUEST_MARGIN_MS)} for storing and answering: ${seconds(budget)}`;
  const problems: string[] = [];
  if (roles.includes('worker')) {
    for (const entry of manifest.computations.filter((c) => c.config.type === 'per-entity')) {
      const { entityMs } = timeoutsFor(settings, entry.config);
      const worst = settings.batchTimeoutMs + entityMs;
      if (worst > budget)
        problems.push(
          `A batch of ${entry.name} may run ${seconds(worst)} (execution.batchTimeoutSeconds ${seconds(settings.batchTimeoutMs)} + entity timeout ${seconds(entityMs)}), more than ${room}. Lower execution.batchTimeoutSeconds or the entity timeout (execution.entityTimeoutSeconds, or timeouts.entitySeconds of ${entry.name}) so they add up to at most ${seconds(budget)}.`,
        );
    }
  }
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
