import type { Manifest, ManifestEntry } from '../manifest/manifest.ts';
import { GLOBAL_ENTITY, type IsoDate, type Row } from '../model/types.ts';
import type { ComputationState, ComputationStates } from '../ports/state-store.ts';
import type { ResultStore, StoredResult } from '../ports/warehouse.ts';
import { hasUsableResult, previousDate } from '../plan/decide.ts';
import { compareEntityIds } from '../warehouse/entity-order.ts';
import type { ComputationReader, PlannedRead } from '../warehouse/computation-reader.ts';
import type { EntitySource } from '../warehouse/entity-batches.ts';
import { batchId, type BatchContext } from './batch-files.ts';

export interface ReadPorts {
  manifest: Manifest;
  results: ResultStore;
  reader: ComputationReader;
}

/** Results of dependencies: global ones by name, per-entity ones keyed by entity. */
export async function dependencyResults(
  ports: Pick<ReadPorts, 'manifest' | 'results'>,
  names: readonly string[],
  date: IsoDate,
): Promise<{ globals: Record<string, unknown>; byEntity: Record<string, Record<string, unknown>> }> {
  const globals: Record<string, unknown> = {};
  const byEntity: Record<string, Record<string, unknown>> = {};
  await Promise.all(
    names.map(async (name) => {
      if (ports.manifest.byName.get(name)!.config.type === 'global') {
        globals[name] = (await ports.results.read(name, date, [GLOBAL_ENTITY]))[0]?.result ?? null;
      } else {
        byEntity[name] = Object.fromEntries((await ports.results.read(name, date)).map((r) => [r.entityId, r.result]));
      }
    }),
  );
  return { globals, byEntity };
}

const DEPENDENCY_PREFIX = 'dependency:';
const PREVIOUS = 'previous';
const PREVIOUS_FAILED = 'previous-failed';

function resultSource(name: string, chunks: AsyncIterable<StoredResult[]>): EntitySource {
  return { name, chunks, key: (item) => (item as StoredResult).entityId };
}

/** How far back a chain of failures is followed to name the date it started on. */
const ORIGIN_STEPS = 62;

/**
 * The date each failed entity of a historical computation's previous state
 * first failed on: walks back its chain of due dates while those are
 * partial with the entity among their failed ids (at most ORIGIN_STEPS
 * dates), so the repair command it prints starts where the failure did.
 */
export async function failureOrigins(
  states: Pick<ComputationStates, 'get'>,
  entry: ManifestEntry,
  previous: ComputationState | null,
): Promise<Map<string, IsoDate>> {
  const origins = new Map<string, IsoDate>();
  let open = new Set(previous?.failedIds ?? []);
  let current = previous;
  for (let step = 0; current !== null && open.size > 0 && step < ORIGIN_STEPS; step++) {
    for (const id of open) origins.set(id, current.date);
    const before = await states.get(previousDate(entry, current.date), entry.name);
    if (before === null || before.status !== 'partial') break;
    const failed = new Set(before.failedIds ?? []);
    open = new Set([...open].filter((id) => failed.has(id)));
    current = before;
  }
  return origins;
}

/**
 * Streams a per-entity computation's inputs in entity order as batch
 * contexts: required tables' rows, this batch's per-entity dependency
 * results, global dependency results, and for historical computations the
 * previous date's results. Entities come from the windows of its dated
 * required tables (tables read whole give rows, not entities, unless every
 * required table is read whole), any per-entity dependency's results, and
 * (historical) the previous date's results and failed entities. `previous`
 * is the historical computation's state on its previous date: the entities
 * that failed there fail here too, naming that date, rather than start
 * again from no previous result.
 */
export async function openBatches(
  ports: ReadPorts,
  entry: ManifestEntry,
  date: IsoDate,
  runId: string,
  reads: PlannedRead[],
  previous: ComputationState | null = null,
  /** The date each of the previous date's failed entities first failed on, when earlier (see failureOrigins). */
  origins: ReadonlyMap<string, IsoDate> = new Map(),
): Promise<{ impossible: string } | { batches: AsyncIterable<BatchContext> }> {
  const perEntityDeps = entry.config.dependencies.filter(
    (name) => ports.manifest.byName.get(name)!.config.type === 'per-entity',
  );
  const globalDeps = entry.config.dependencies.filter((name) => !perEntityDeps.includes(name));
  const extra = perEntityDeps.map((name) =>
    resultSource(`${DEPENDENCY_PREFIX}${name}`, ports.results.stream(name, date)),
  );
  const failedOn = previous?.date;
  if (entry.config.isHistorical) {
    // A previous date whose state holds no usable result (impossible, say) gives none, whatever an older run left stored.
    if (previous === null || hasUsableResult(previous))
      extra.push(resultSource(PREVIOUS, ports.results.stream(entry.name, previousDate(entry, date))));
    const failedIds = [...(previous?.failedIds ?? [])].sort(compareEntityIds);
    if (failedIds.length > 0)
      extra.push({
        name: PREVIOUS_FAILED,
        chunks: (async function* () {
          yield failedIds;
        })(),
        key: (id) => id as string,
      });
  }
  const { globals } = await dependencyResults(ports, globalDeps, date);
  const { merger, impossible } = await ports.reader.openEntities(reads, extra);
  if (impossible !== null) return { impossible };
  async function* contexts(): AsyncIterable<BatchContext> {
    for await (const batch of merger.batches(ports.manifest.project.batchSize)) {
      yield {
        v: 1,
        runId,
        computation: entry.name,
        date,
        batchId: batchId(batch.index),
        codeHash: entry.codeHash,
        globals,
        entities: batch.entityIds.map((entityId) => {
          const items = batch.items.get(entityId)!;
          const data: Record<string, Row[]> = {};
          for (const read of reads) data[read.table] = items[read.table] as Row[];
          const dependencies: Record<string, unknown> = {};
          for (const name of perEntityDeps)
            dependencies[name] =
              (items[`${DEPENDENCY_PREFIX}${name}`]?.[0] as StoredResult | undefined)?.result ?? null;
          const previousResult = entry.config.isHistorical
            ? ((items[PREVIOUS]?.[0] as StoredResult | undefined)?.result ?? null)
            : null;
          const failed = failedOn !== undefined && (items[PREVIOUS_FAILED]?.length ?? 0) > 0;
          return {
            entityId,
            data,
            dependencies,
            previous: previousResult,
            ...(failed ? { previousFailed: origins.get(entityId) ?? failedOn } : {}),
          };
        }),
      };
    }
  }
  return { batches: contexts() };
}
