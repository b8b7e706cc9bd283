import { z } from 'zod';
import { PoisonMessageError } from '../errors.ts';
import type { Manifest, ManifestEntry } from '../manifest/manifest.ts';
import type { ShardedReads, ShardKey, ShardSpec } from '../ports/sharded-reads.ts';
import type { ResultStore } from '../ports/warehouse.ts';
import type { PlannedRead } from '../warehouse/computation-reader.ts';
import { dependencyResults } from './assemble-batches.ts';
import { batchId, type BatchContext } from './batch-files.ts';

/**
 * Shard batches: the executor plans batches that name a range of the
 * entity hash instead of carrying rows, and each worker reads its own
 * shard (ShardedReads). Only the loading of a batch's rows differs from
 * the executor's path: ledger, breaker, leases, fencing and retries are
 * the same code.
 */

/**
 * Whether a per-entity computation's reads go through shards: sharded
 * reads are configured, the dry run says the windows are large enough,
 * and its entities come from its tables alone. A computation with
 * per-entity dependencies or a history (previousResult) takes the
 * executor's path, which merges those stored results in.
 */
export function readsSharded(
  ports: { manifest: Manifest; shards?: ShardedReads | undefined },
  entry: ManifestEntry,
  reads: readonly PlannedRead[],
  bytes: number | null,
): boolean {
  if (ports.shards === undefined || entry.config.type !== 'per-entity' || reads.length === 0) return false;
  if (entry.config.isHistorical) return false;
  const perEntityDeps = entry.config.dependencies.some(
    (name) => ports.manifest.byName.get(name)!.config.type === 'per-entity',
  );
  return !perEntityDeps && ports.shards.wants(bytes);
}

/**
 * Writes the scratch tables and yields one small batch context per
 * non-empty shard (the shard's bucket range, tables and entity count, and
 * the global dependencies' results, as on the executor's path).
 */
export async function openShardBatches(
  ports: { manifest: Manifest; results: ResultStore; shards: ShardedReads },
  entry: ManifestEntry,
  key: ShardKey,
  reads: readonly PlannedRead[],
): Promise<{ impossible: string } | { batches: AsyncIterable<BatchContext> }> {
  const { globals } = await dependencyResults(ports, entry.config.dependencies, key.date);
  const planned = await ports.shards.prepare(
    key,
    reads.map(({ table, mandatory, query }) => ({ table, mandatory, query })),
    ports.manifest.project.batchSize,
  );
  if ('impossible' in planned) return planned;
  const { shards } = planned;
  async function* contexts(): AsyncIterable<BatchContext> {
    for (const [index, shard] of shards.entries()) {
      yield {
        v: 1,
        runId: key.runId,
        computation: entry.name,
        date: key.date,
        batchId: batchId(index),
        codeHash: entry.codeHash,
        globals,
        entities: [],
        shard,
      };
    }
  }
  return { batches: contexts() };
}

/** Entities a batch context stands for: a shard batch counts them without carrying them. */
export function plannedEntities(context: BatchContext): number {
  return context.shard?.entityCount ?? context.entities.length;
}

const shardSpec = z.object({
  first: z.base64(),
  last: z.base64(),
  entityCount: z.number().int().min(0),
  tables: z
    .array(
      z.object({
        table: z.string(),
        scratch: z.string().regex(/^[A-Za-z0-9_]+$/, 'must be a scratch table name'),
        columns: z.array(z.string()),
        entity: z.string(),
        drives: z.boolean(),
      }),
    )
    .min(1),
});

/**
 * The worker's loading step for a shard batch: reads the shard's rows and
 * fills the context's entities, as the executor would have. A shard spec
 * that does not parse is poison; a worker without sharded reads
 * configured cannot read it (a deployment error, retried until fixed).
 */
export async function loadShard(shards: ShardedReads | undefined, context: BatchContext): Promise<BatchContext> {
  const parsed = shardSpec.safeParse(context.shard);
  if (!parsed.success)
    throw new PoisonMessageError(
      'INVALID_SHARD',
      `batch ${context.batchId} of ${context.computation} names a shard that does not parse: ${parsed.error.message}`,
    );
  if (shards === undefined)
    throw new Error(
      `batch ${context.batchId} of ${context.computation} is a shard batch, but this worker has no sharded reads configured (warehouse.shardedReads): deploy the executor's warehouse config to the workers too`,
    );
  const spec: ShardSpec = parsed.data;
  const entities = await shards.read(spec);
  return {
    ...context,
    entities: entities.map(({ entityId, data }) => ({ entityId, data, dependencies: {}, previous: null })),
  };
}
