// Child process for the durability test: writes states and batch records in
// a loop and reports each committed write on stdout until it is killed.
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';

const path = process.argv[2]!;
const store = new SqliteStateStore(path);
const key = { runId: 'run-crash', attempt: 1, computation: 'Crash', date: '2026-01-26' };
for (let i = 0; ; i++) {
  await store.ledger.record({
    ...key,
    batchId: `b${i}`,
    succeeded: 1,
    failed: 0,
    stored: 1,
    errors: [],
    resultsBlob: null,
    recordedAt: new Date().toISOString(),
  });
  await store.states.put({
    computation: `C${i % 50}`,
    date: '2026-01-26',
    status: 'completed',
    runId: 'run-crash',
    compositeHash: `h${i}`,
    components: null,
    resultHash: `r${i}`,
    codeHash: null,
    startedAt: null,
    finishedAt: null,
    updatedAt: new Date().toISOString(),
    counts: { planned: i, succeeded: i, failed: 0, stored: i },
    error: null,
    reason: null,
    bytesScanned: null,
    expiresAt: '2099-01-01T00:00:00.000Z',
  });
  process.stdout.write(`${i}\n`);
}
