import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLimitProblems, workerCapacityWarning } from '../../../shared/http/request-limits.ts';
import { DEFAULT_SETTINGS, settingsFor, timeoutsFor } from '../../../shared/runtime/service-ports.ts';
import { cli } from '../../support/cli.ts';
import { entry, project } from '../../support/entries.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

/**
 * Work held inside one request must end inside it: on Cloud Run a request
 * past its timeout is cut and its CPU throttled while Pub/Sub redelivers.
 * The Terraform module passes each service's timeout as
 * COMPUTE_REQUEST_TIMEOUT_SECONDS; the service checks its limits against it
 * before it opens anything.
 */
const manifest = (computations: ReturnType<typeof entry>[]) => ({
  project: project(),
  computations,
  byName: new Map(computations.map((c) => [c.name, c])),
  passes: [computations.map((c) => c.name)],
});
const perEntity = entry({ name: 'Scores', type: 'per-entity', requires: {} });
const global = entry({ name: 'Totals', type: 'global', requires: {} });

describe('defaults that fit the request timeout', () => {
  it('with a 600 s request: a batch gets 540 s, every entity capped by what is left of it; globals get 570 s', () => {
    const settings = settingsFor({}, 'o', { requestTimeoutSeconds: 600 });
    expect(settings.requestBudgetMs).toBe(570_000);
    expect(settings.batchTimeoutMs).toBe(540_000);
    // A 300 s request: the batch's budget is the request's, 270 s.
    expect(settingsFor({}, 'o', { requestTimeoutSeconds: 300 }).batchTimeoutMs).toBe(270_000);
    expect(timeoutsFor(settings, global.config).computationMs).toBe(570_000);
    // A per-entity computation spans many requests: its watchdog limit stays the hour.
    expect(timeoutsFor(settings, perEntity.config).computationMs).toBe(3_600_000);
    expect(requestLimitProblems(settings, manifest([perEntity, global]), ['planner', 'executor', 'worker'])).toEqual(
      [],
    );
  });

  it('without a request timeout (the CLI, a service run by hand) the defaults are as before; only the push deadline is checked', () => {
    const settings = settingsFor({}, 'o');
    expect(settings).toMatchObject({ batchTimeoutMs: 540_000, requestBudgetMs: null });
    expect(timeoutsFor(settings, global.config).computationMs).toBe(3_600_000);
    expect(requestLimitProblems(settings, manifest([perEntity, global]), ['executor', 'worker'])).toEqual([]);
    expect(
      requestLimitProblems(settingsFor({ batchTimeoutSeconds: 590 }, 'o'), manifest([perEntity]), ['worker']),
    ).toEqual([
      "A batch may run 590 s (execution.batchTimeoutSeconds), more than Pub/Sub's push deadline 600 s less 30 s for storing and answering: 570 s. Set execution.batchTimeoutSeconds to at most 570.",
    ]);
  });
});

describe('limits set beyond the request are refused, naming the setting', () => {
  it('a batch budget longer than the request', () => {
    const settings = settingsFor({ batchTimeoutSeconds: 540 }, 'o', { requestTimeoutSeconds: 300 });
    expect(requestLimitProblems(settings, manifest([perEntity]), ['worker'])).toEqual([
      "A batch may run 540 s (execution.batchTimeoutSeconds), more than the request timeout 300 s (COMPUTE_REQUEST_TIMEOUT_SECONDS, the Terraform module's service timeout) less 30 s for storing and answering: 270 s. Set execution.batchTimeoutSeconds to at most 270.",
    ]);
    // An entity timeout longer than the budget is no problem: the budget caps it.
    const slow = entry({ name: 'Slow', type: 'per-entity', requires: {}, timeouts: { entitySeconds: 400 } });
    expect(
      requestLimitProblems(settingsFor({}, 'o', { requestTimeoutSeconds: 300 }), manifest([slow]), ['worker']),
    ).toEqual([]);
    // The executor does not run batches: the same limits are no problem there.
    expect(requestLimitProblems(settings, manifest([perEntity]), ['planner', 'executor'])).toEqual([]);
  });

  it('a global computation given the hour', () => {
    const long = entry({ name: 'Long', type: 'global', requires: {}, timeouts: { computationSeconds: 3600 } });
    const settings = settingsFor({}, 'o', { requestTimeoutSeconds: 600 });
    const problems = requestLimitProblems(settings, manifest([long]), ['executor', 'worker']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^The global computation Long runs inside one pass.ready request and may take 3600 s .* Set timeouts.computationSeconds of Long \(or execution.computationTimeoutSeconds\) to at most 570\.$/,
    );
  });
});

describe('worker capacity against the batches the executors may send', () => {
  it('the module defaults fit: 3 executors x 4 computations x 16 batches = 192 <= 100 workers x 2', () => {
    expect(workerCapacityWarning(DEFAULT_SETTINGS, { workerSlots: 200, executorInstances: 3 })).toBeNull();
    expect(workerCapacityWarning(DEFAULT_SETTINGS, { workerSlots: 40, executorInstances: 3 })).toMatch(
      /^The executors may have 192 batches out at once .* the workers take 40 \(COMPUTE_WORKER_SLOTS/,
    );
    expect(workerCapacityWarning(DEFAULT_SETTINGS, {})).toBeNull();
  });
});

describe('compute serve checks them at start-up', () => {
  let dir: TempProject;
  beforeAll(async () => {
    dir = await tempProject({
      'compute.config.json': JSON.stringify({ bus: { type: 'pubsub', projectId: 'demo' } }),
      'computations/scores.ts': computationSource({ name: 'Scores', type: 'per-entity', requires: {} }),
    });
  });
  afterAll(() => dir.remove());

  it('refuses to start a worker whose batches outlive the request, before opening anything', async () => {
    const result = await cli(['serve', 'worker', '--port', '0', '--project', dir.root], {
      env: {
        COMPUTE_REQUEST_TIMEOUT_SECONDS: '300',
        COMPUTE_EXECUTION: '{"batchTimeoutSeconds": 540}',
        COMPUTE_API_AUTH: 'open',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The limits do not fit this service's request timeout:");
    expect(result.stderr).toContain(
      'A batch may run 540 s (execution.batchTimeoutSeconds), more than the request timeout 300 s',
    );
  });

  it('refuses a request timeout that is not a number', async () => {
    const result = await cli(['serve', 'worker', '--port', '0', '--project', dir.root], {
      env: { COMPUTE_REQUEST_TIMEOUT_SECONDS: '600s', COMPUTE_API_AUTH: 'open' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("COMPUTE_REQUEST_TIMEOUT_SECONDS must be a whole number above 0; got '600s'");
  });
});
