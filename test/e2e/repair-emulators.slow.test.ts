import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProject, sql } from '../support/embedded.ts';
import { emulatorMissing } from '../support/emulators.ts';
import { emulatorsPerFile } from '../support/topology-hooks.ts';
import { BODIES, failWhileMarked, scenarioProject } from '../support/scenario.ts';
import {
  checkInvariants,
  runManually,
  runMessage,
  serve,
  startTopology,
  stop,
  type Topology,
} from '../support/topology.ts';

const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
const DATES = ['2026-01-20', '2026-01-21', '2026-01-22', '2026-01-23', '2026-01-24'];
const CORRECTION = `UPDATE events SET value = value + 100 WHERE date = DATE '${DATES[1]}' AND entity_id = 'e001'`;

/**
 * Never quietly wrong, through the services on the Pub/Sub and Firestore
 * emulators: a scheduled run whose entities partly failed is partial (a
 * per-entity computation and a historical one); the next scheduled message
 * runs those entities again, picks up a row corrected three days back, and
 * carries the historical chain forward; every value then equals a clean run.
 */
describe.skipIf(missing !== null)('the repair window on the emulators', () => {
  const emulators = emulatorsPerFile();
  let topology: Topology;

  beforeAll(async () => {
    topology = await startTopology(emulators.pubsub, emulators.firestore, {
      entities: 12,
      dates: DATES,
      bodies: { totals: failWhileMarked('e004', BODIES.totals), streak: failWhileMarked('e005', BODIES.streak) },
    });
  }, 180_000);

  afterAll(async () => {
    await topology?.close();
  });

  it('retries partial dates, picks up a late correction and carries the chain to the run date', async () => {
    const root = topology.project.root;
    expect((await runManually(topology, DATES.slice(0, 3))).status).toBe('completed');

    await writeFile(join(root, 'FAIL'), '');
    const partial = await runMessage(topology, { date: DATES[3], schedule: '02:00' });
    // A run that left anything partial is not 'completed'.
    expect(partial.status).toBe('failed');
    const before = await topology.store.states.get(DATES[3]!, 'Totals');
    expect(before).toMatchObject({ status: 'partial', failedIds: ['e004'] });
    expect(await topology.store.states.get(DATES[3]!, 'Streak')).toMatchObject({
      status: 'partial',
      failedIds: ['e005'],
    });

    // The failure goes away, and a row three days before the next run's date is corrected.
    await rm(join(root, 'FAIL'));
    const port = topology.executor.port;
    await stop(topology.executor);
    await sql(root, [CORRECTION]);
    topology.executor = await serve(root, 'planner,executor', topology.env, port);

    const next = await runMessage(topology, { date: DATES[4], schedule: '02:00' });
    expect(next.status).toBe('completed');
    const states = await topology.store.states.list();
    const ranIn = (date: string, name: string) =>
      states.find((s) => s.date === date && s.computation === name)?.runId === next.runId;
    // The corrected date, the chain after it, the partial date, and the run's own date ran in that run.
    expect(ranIn(DATES[1]!, 'Totals')).toBe(true);
    expect(ranIn(DATES[1]!, 'Streak')).toBe(true);
    // Streak counts days with rows, which the correction did not change: its output is the same, so the next date skips (early cutoff).
    expect(ranIn(DATES[2]!, 'Streak')).toBe(false);
    expect(ranIn(DATES[3]!, 'Totals')).toBe(true);
    expect(ranIn(DATES[3]!, 'Streak')).toBe(true);
    expect(ranIn(DATES[4]!, 'Totals')).toBe(true);
    // Nothing to repair on the first date.
    expect(ranIn(DATES[0]!, 'Totals')).toBe(false);

    // Every value equals a clean run of the corrected data, and nothing is partial any more.
    const hashes = await checkInvariants(topology, DATES);
    const clean = await scenarioProject({ entities: 12, dates: DATES });
    try {
      await sql(clean.root, [CORRECTION]);
      const outcome = await runProject(clean.root, { dates: DATES });
      for (const row of outcome.summary.computations)
        expect(hashes[`${row.date}/${row.name}`], `${row.date}/${row.name}`).toBe(row.resultHash);
    } finally {
      await clean.remove();
    }
  }, 300_000);
});
