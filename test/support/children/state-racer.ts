// Child process for the cross-process race test: waits for a start time,
// then tries once for the lease and once for the finalization step.
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { acquireLease } from '../../../shared/state/leases.ts';

const [path, owner, startAt] = process.argv.slice(2) as [string, string, string];
const store = new SqliteStateStore(path);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
const lease = await acquireLease(
  store.leases,
  { computation: 'Race', date: '2026-01-26' },
  owner,
  new Date(),
  () => false,
);
const final = await store.runs.claimStep('r', 'finalize/2026-01-26/Race/1/1');
const batches = [];
for (let i = 0; i < 50; i++)
  batches.push(
    await store.ledger.record({
      runId: 'r',
      attempt: 1,
      computation: 'Race',
      date: '2026-01-26',
      batchId: `b${i}`,
      succeeded: 1,
      failed: 0,
      stored: 1,
      errors: [],
      resultsBlob: null,
      recordedAt: new Date().toISOString(),
    }),
  );
process.stdout.write(JSON.stringify({ lease: lease.acquired, final, recorded: batches.filter(Boolean).length }));
await store.close();
