import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigqueryShardedReads } from '../../../shared/adapters/bigquery/sharded-reads.ts';
import { StorageReader } from '../../../shared/adapters/bigquery/storage-reader.ts';
import { PoisonMessageError } from '../../../shared/errors.ts';
import type { Manifest } from '../../../shared/manifest/manifest.ts';
import type { BatchContext } from '../../../shared/batches/batch-files.ts';
import { loadShard, readsSharded } from '../../../shared/batches/shard-batches.ts';
import type { PlannedRead } from '../../../shared/warehouse/computation-reader.ts';
import { FakeBigQuery } from '../../support/fake-bigquery/server.ts';
import { FakeStorageRead } from '../../support/fake-bigquery/storage-read.ts';
import { entry } from '../../support/entries.ts';

/** Which computations take sharded reads, and the worker's loading step refusing what it cannot read. */
let fake: FakeBigQuery;
let stand: FakeStorageRead;
let shards: BigqueryShardedReads;

beforeAll(async () => {
  fake = await FakeBigQuery.start('unit-project');
  stand = await FakeStorageRead.start(fake);
  shards = new BigqueryShardedReads(
    fake.client(),
    { projectId: 'unit-project', dataset: 'facts' },
    new StorageReader(stand.client(), { billingProject: 'unit-project' }),
    { scratchDataset: 'scratch', minBytes: 1000 },
  );
});

afterAll(async () => {
  await stand?.close();
  await fake?.close();
});

const daily = entry({ name: 'Daily', type: 'per-entity', requires: { trades: {} } });
const manifest = (...entries: Array<ReturnType<typeof entry>>) =>
  ({ byName: new Map([daily, ...entries].map((e) => [e.name, e])) }) as unknown as Manifest;
const reads = [{ table: 'trades' }] as PlannedRead[];

describe('readsSharded', () => {
  it('takes a per-entity computation whose windows bill at least minBytes, or an unknown amount', () => {
    const ports = { manifest: manifest(), shards };
    expect(readsSharded(ports, daily, reads, 1000)).toBe(true);
    expect(readsSharded(ports, daily, reads, null)).toBe(true);
    expect(readsSharded(ports, daily, reads, 999)).toBe(false);
    expect(readsSharded({ manifest: manifest() }, daily, reads, 10 ** 12)).toBe(false);
  });

  it('leaves global, historical and per-entity-dependent computations, and those reading no table, to the executor', () => {
    const global = entry({ name: 'Global', type: 'global', requires: { trades: {} } });
    const historical = entry({ name: 'Running', type: 'per-entity', isHistorical: true, requires: { trades: {} } });
    const dependent = entry({ name: 'Dep', type: 'per-entity', dependencies: ['Daily'], requires: { trades: {} } });
    const onGlobal = entry({
      name: 'OnGlobal',
      type: 'per-entity',
      dependencies: ['Global'],
      requires: { trades: {} },
    });
    const ports = { manifest: manifest(global, historical, dependent, onGlobal), shards };
    expect(readsSharded(ports, global, reads, 10 ** 9)).toBe(false);
    expect(readsSharded(ports, historical, reads, 10 ** 9)).toBe(false);
    expect(readsSharded(ports, dependent, reads, 10 ** 9)).toBe(false);
    expect(readsSharded(ports, daily, [], 10 ** 9)).toBe(false);
    // A global dependency's result travels in the batch context, as on the executor's path.
    expect(readsSharded(ports, onGlobal, reads, 10 ** 9)).toBe(true);
  });
});

describe('loadShard', () => {
  const context = (shard: unknown): BatchContext =>
    ({ v: 1, batchId: 'b000003', computation: 'Daily', entities: [], shard }) as unknown as BatchContext;
  const table = {
    table: 'trades',
    scratch: '_compute_shard_x_0',
    columns: ['user_id'],
    entity: 'user_id',
    drives: true,
  };

  it('refuses a shard spec that does not parse as poison, naming the batch', async () => {
    const bad = loadShard(shards, context({ first: 'not base64!', last: 'dQ==', entityCount: 1, tables: [table] }));
    await expect(bad).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(bad).rejects.toThrow(/batch b000003 of Daily names a shard that does not parse/);
    await expect(
      loadShard(
        shards,
        context({ first: 'dQ==', last: 'dQ==', entityCount: 1, tables: [{ ...table, scratch: 'x; DROP' }] }),
      ),
    ).rejects.toThrow(/scratch table name/);
  });

  it('says what to deploy when the worker has no sharded reads configured (retried, not poison)', async () => {
    const missing = loadShard(undefined, context({ first: 'dQ==', last: 'dQ==', entityCount: 1, tables: [table] }));
    await expect(missing).rejects.toThrow(/no sharded reads configured \(warehouse\.shardedReads\)/);
    await expect(missing).rejects.not.toBeInstanceOf(PoisonMessageError);
  });
});
