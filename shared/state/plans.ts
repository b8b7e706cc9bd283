import type { BatchPlan, LedgerKey, PlannedBatch } from '../ports/state-store.ts';

/**
 * A fan-out's plan from what an adapter read: its planned batches (any
 * order) and the entity count recorded when it was sealed (null: not
 * sealed). Until sealed, the count is the sum of the batches planned so
 * far. Null when nothing was planned.
 */
export function planFrom(key: LedgerKey, batches: PlannedBatch[], sealedCount: number | null): BatchPlan | null {
  if (batches.length === 0 && sealedCount === null) return null;
  const ordered = [...batches].sort((a, b) => a.batchId.localeCompare(b.batchId));
  return {
    ...key,
    batches: ordered,
    sealed: sealedCount !== null,
    entityCount: sealedCount ?? ordered.reduce((sum, b) => sum + b.entityCount, 0),
  };
}
