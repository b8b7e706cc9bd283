import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorMissing } from '../support/emulators.ts';
import { emulatorsPerFile } from '../support/topology-hooks.ts';
import { BODIES, CONFIGS } from '../support/scenario.ts';
import { runManually, startTopology, type Topology } from '../support/topology.ts';

const D = '2026-01-25';
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

function totalsWithChecks(checks: string): string {
  return `import { Computation } from 'computation-system';

export default class Totals extends Computation {
  static getConfig() {
    return { name: 'Totals', type: 'per-entity', requires: ${JSON.stringify(CONFIGS.Totals.requires)}, checks: ${checks} };
  }

  async process(ctx) {
    ${BODIES.totals}
  }
}
`;
}

/**
 * Result checks on the services: planner and executor in one process, two
 * workers, Pub/Sub push and Firestore state on the emulators. The executor
 * judges the results its finalization stored.
 */
describe.skipIf(missing !== null)('result checks on the services, on the Pub/Sub and Firestore emulators', () => {
  const emulators = emulatorsPerFile();
  let topology: Topology;

  beforeAll(async () => {
    topology = await startTopology(emulators.pubsub, emulators.firestore, { dates: [D] });
  }, 180_000);

  afterAll(async () => {
    await topology?.close();
  }, 60_000);

  const states = async () => Object.fromEntries((await topology.store.states.list(D)).map((s) => [s.computation, s]));

  it('a failing error check fails the computation and blocks its dependents; a warn check blocks nothing', async () => {
    await topology.project.write(
      'computations/totals.js',
      totalsWithChecks("[{ type: 'range', field: 'total', max: 40 }]"),
    );
    await topology.restartExecutor('SIGTERM');
    await topology.restartWorker(0);
    await topology.restartWorker(1);
    const first = await runManually(topology, [D]);
    expect(first.status).toBe('failed');
    let now = await states();
    expect(Object.fromEntries(Object.entries(now).map(([name, s]) => [name, s.status]))).toEqual({
      Totals: 'failed',
      Doubled: 'blocked',
      Summary: 'blocked',
      Streak: 'completed',
    });
    expect(now.Totals!.error).toMatch(/^check 'range\(total\)' failed: 5 of 25 results failed: e014: total is 45/);
    const line = topology.executor.stdout
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.event === 'check.failed');
    expect(line).toMatchObject({ severity: 'ERROR', computation: 'Totals', check: 'range(total)', failed: 5 });
    const fanned = (runId: string) =>
      topology.executor.stdout.filter((text) => text.includes(runId) && text.includes('Fanned Totals out'));
    expect(fanned(first.runId)).toHaveLength(1);

    // Only the check changes (to warn): the executor judges the stored results again; dependents then run.
    await topology.project.write(
      'computations/totals.js',
      totalsWithChecks("[{ type: 'range', field: 'total', max: 40, severity: 'warn' }]"),
    );
    await topology.restartExecutor('SIGTERM');
    const second = await runManually(topology, [D]);
    expect(second.status).toBe('completed');
    now = await states();
    expect(Object.fromEntries(Object.entries(now).map(([name, s]) => [name, s.status]))).toEqual({
      Totals: 'completed',
      Doubled: 'completed',
      Summary: 'completed',
      Streak: 'skipped',
    });
    expect(now.Totals!.reason).toBe(
      "only its result checks changed: the stored results were judged again; warning check 'range(total)' failed: " +
        '5 of 25 results failed: e014: total is 45, above 40; e017: total is 54, above 40; e020: total is 63, above 40; ' +
        'e022: total is 45, above 40; e023: total is 72, above 40',
    );
    expect(now.Totals!.checks?.outcomes.map((o) => [o.name, o.severity, o.passed])).toEqual([
      ['range(total)', 'warn', false],
    ]);
    // No batch of Totals went to a worker in the second run: process() did not run again.
    expect(fanned(second.runId)).toEqual([]);
  }, 240_000);
});
