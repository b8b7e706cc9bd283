import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector } from '../support/faults.ts';
import { runProject, storedResults, type RunOutcome } from '../support/embedded.ts';
import { scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';
let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

const view = (o: RunOutcome) =>
  o.summary.computations.map((c) => [c.date, c.name, c.status, c.resultHash, c.entities?.succeeded ?? null]);

describe('the embedded hand-off of batch contexts to worker threads (issue 18)', () => {
  it('writes no context to the blob store, waits for room when the window is small, and stores what the blob path stores', async () => {
    const plain = await scenarioProject({ entities: 120, dates: [D], config: { batchSize: 5 } });
    const viaBlobs = await runProject(plain.root, { dates: [D] });
    const expected = await storedResults(plain.root, 'Totals', D);
    await plain.remove();

    project = await scenarioProject({
      entities: 120,
      dates: [D],
      config: { batchSize: 5, bus: { type: 'inprocess', workerThreads: 2 } },
    });
    // Fires (and fails the batch) on any context written to the blob store.
    const faults = new FaultInjector([{ target: 'blobs.put', call: 1, kind: 'lost', match: /\.context\.json$/ }]);
    // 24 batches per computation against a window of 2: at most 3 contexts held, so the fan-out waits for room.
    const threaded = await runProject(project.root, {
      dates: [D],
      threads: true,
      faults,
      settings: { maxInFlightBatches: 2 },
    });
    expect(faults.fired).toEqual([]);
    expect(view(threaded)).toEqual(view(viaBlobs));
    expect(threaded.summary.computations.every((c) => c.status === 'completed')).toBe(true);
    expect(await storedResults(project.root, 'Totals', D)).toEqual(expected);
  }, 120_000);
});
