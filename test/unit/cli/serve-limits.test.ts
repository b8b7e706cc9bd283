import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLimitProblems, workerCapacityWarning } from '../../../shared/runtime/request-limits.ts';
import { DEFAULT_SETTINGS, settingsFor, timeoutsFor } from '../../../shared/runtime/ports.ts';
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
  it('with a 600 s request: batches stop starting entities at 270 s so a 300 s entity ends by 570 s; globals get 570 s', () => {
    const settings = settingsFor({}, 'o', { requestTimeoutSeconds: 600 });
    expect(settings.requestBudgetMs).toBe(570_000);
    expect(settings.batchTimeoutMs).toBe(270_000);
    expect(timeoutsFor(settings, global.config).computationMs).toBe(570_000);
    // A per-entity computation spans many requests: its watchdog limit stays the hour.
    expect(timeoutsFor(settings, perEntity.config).computationMs).toBe(3_600_000);
    expect(requestLimitProblems(settings, manifest([perEntity, global]), ['planner', 'executor', 'worker'])).toEqual(
      [],
    );
  });

  it('without a request timeout (the CLI, a service run by hand) the defaults are as before and nothing is checked', () => {
    const settings = settingsFor({}, 'o');
    expect(settings).toMatchObject({ batchTimeoutMs: 540_000, requestBudgetMs: null });
    expect(timeoutsFor(settings, global.config).computationMs).toBe(3_600_000);
    expect(requestLimitProblems(settings, manifest([perEntity, global]), ['executor', 'worker'])).toEqual([]);
  });
});

describe('limits set beyond the request are refused, naming the setting', () => {
  it('a batch timeout plus an entity timeout longer than the request', () => {
    const settings = settingsFor({ batchTimeoutSeconds: 540 }, 'o', { requestTimeoutSeconds: 600 });
    expect(requestLimitProblems(settings, manifest([perEntity]), ['worker'])).toEqual([
      "A batch of Scores may run 840 s (execution.batchTimeoutSeconds 540 s + entity timeout 300 s), more than the request timeout 600 s (COMPUTE_REQUEST_TIMEOUT_SECONDS, the Terraform module's service timeout) less 30 s for storing and answering: 570 s. Lower execution.batchTimeoutSeconds or the entity timeout (execution.entityTimeoutSeconds, or timeouts.entitySeconds of Scores) so they add up to at most 570 s.",
    ]);
    // The executor does not run batches: the same limits are no problem there.
    expect(requestLimitProblems(settings, manifest([perEntity]), ['planner', 'executor'])).toEqual([]);
  });

  it("a computation's own entity timeout, and a global computation given the hour", () => {
    const slow = entry({ name: 'Slow', type: 'per-entity', requires: {}, timeouts: { entitySeconds: 400 } });
    const long = entry({ name: 'Long', type: 'global', requires: {}, timeouts: { computationSeconds: 3600 } });
    const settings = settingsFor({}, 'o', { requestTimeoutSeconds: 600 });
    const problems = requestLimitProblems(settings, manifest([slow, long]), ['executor', 'worker']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^A batch of Slow may run 670 s \(execution.batchTimeoutSeconds 270 s \+ entity timeout 400 s\)/,
    );
    expect(problems[1]).toMatch(
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
        COMPUTE_REQUEST_TIMEOUT_SECONDS: '600',
        COMPUTE_EXECUTION: '{"batchTimeoutSeconds": 540}',
        COMPUTE_API_AUTH: 'open',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The limits do not fit this service's request timeout:");
    expect(result.stderr).toContain('A batch of Scores may run 840 s');
  });

  it('refuses a request timeout that is not a number', async () => {
    const result = await cli(['serve', 'worker', '--port', '0', '--project', dir.root], {
      env: { COMPUTE_REQUEST_TIMEOUT_SECONDS: '600s', COMPUTE_API_AUTH: 'open' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("COMPUTE_REQUEST_TIMEOUT_SECONDS must be a whole number above 0; got '600s'");
  });
});
