import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { emulatorMissing, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import {
  describeShape,
  indexNeeded,
  queryShape,
  recordQueries,
  type QueryShape,
} from '../support/firestore-queries.ts';
import { parseModule } from '../support/hcl.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';
import { stateStoreContract } from './state-store.contract.ts';

/**
 * Every query the Firestore state store sends, with the index that serves
 * it on real Firestore. The emulator needs no index, so the contract suite
 * alone would pass with a query that fails in production with "The query
 * requires an index" (FAILED_PRECONDITION). A new query fails this test
 * until it is listed here, and one that needs a composite index fails
 * until infra/terraform declares it (google_firestore_index).
 */
const QUERIES: Record<string, string> = {
  'PREFIX-states': 'automatic: list() reads the whole collection',
  'PREFIX-states where date EQUAL': 'automatic: single-field index on date',
  'PREFIX-states where expireAt LESS_THAN': 'automatic: single-field index on expireAt (the TTL field keeps its index)',
  'PREFIX-states where date GREATER_THAN_OR_EQUAL and date LESS_THAN_OR_EQUAL':
    'automatic: range() of the console grid and status --from/--to, a range on the single-field index on date',
  'PREFIX-history where runId EQUAL': 'automatic: ofRun(), single-field index on runId',
  'PREFIX-history where computation EQUAL and date EQUAL':
    'automatic: of(), equality filters only (single-field indexes merged); ordered in memory',
  'PREFIX-history where expireAt LESS_THAN': 'automatic: purgeExpired(), single-field index on the TTL field',
  'PREFIX-leases where beatOf EQUAL': "automatic: single-field index on beatOf (a lease token's heartbeats)",
  'PREFIX-runs order by startedAt DESCENDING limit': 'automatic: single-field index on startedAt (descending)',
  steps: 'automatic: every step of a run',
  'steps where __name__ GREATER_THAN_OR_EQUAL and __name__ LESS_THAN': 'automatic: document ids',
  'planned where published EQUAL aggregate count': 'automatic: single-field index on published',
  'planned where published EQUAL order by __name__ ASCENDING limit':
    'automatic: single-field index on published (entries are in document id order)',
  planned: 'automatic: getPlan() reads every planned batch',
  batches: 'automatic: batches() reads every record',
  'batches aggregate count': 'automatic: summary() count',
  'batches aggregate sum(succeeded)': 'automatic: summary(), single-field index on succeeded',
  'batches aggregate sum(failed)': 'automatic: summary(), single-field index on failed',
  'batches aggregate sum(stored)': 'automatic: summary(), single-field index on stored',
};

/** Composite indexes the module declares, as 'COLLECTION: field, field'. */
function declaredIndexes(): string[] {
  return parseModule(join(PACKAGE_ROOT, 'infra/terraform'))
    .filter((b) => b.type === 'resource' && b.labels[0] === 'google_firestore_index')
    .map((b) => {
      const collection = (b.values.get('collection') ?? '').replaceAll('"', '').replace('${local.prefix}', 'PREFIX');
      const fields = b.blocks
        .filter((f) => f.type === 'fields')
        .map((f) => (f.values.get('field_path') ?? '').replaceAll('"', ''));
      return `${collection}: ${fields.sort().join(', ')}`;
    });
}

function problemsOf(shapes: QueryShape[], declared: string[]): string[] {
  const problems = shapes.flatMap((shape) => {
    const needed = indexNeeded(shape);
    if (needed === 'automatic') return [];
    const key = `${needed.collection}: ${[...needed.fields].sort().join(', ')}`;
    return declared.includes(key)
      ? []
      : [`${describeShape(shape)} needs a composite index (${key}) that infra/terraform does not declare`];
  });
  return [...new Set(problems)];
}

const missing = emulatorMissing('firestore');
let emulator: Emulator | undefined;
const requests: Parameters<typeof queryShape>[0][] = [];
const prefixes = new Set<string>();
if (missing === null) {
  beforeAll(async () => {
    emulator = await startEmulator('firestore');
  }, 120_000);
  afterAll(() => emulator?.stop());
}

// The whole state-store contract, through a client whose queries are recorded.
stateStoreContract(
  'Firestore (emulator, queries recorded)',
  async (name) => {
    const prefix = uniqueName(name);
    prefixes.add(prefix);
    return new FirestoreStateStore(recordQueries(emulatorFirestore(emulator!.host), requests), {
      collectionPrefix: prefix,
    });
  },
  { skip: missing },
);

describe.skipIf(Boolean(missing))('every query the Firestore state store sends has an index on Firestore', () => {
  it('sends only the queries listed here, every aggregation among them', () => {
    const sent = new Set(requests.map((r) => describeShape(queryShape(r, prefixes))));
    expect([...sent].sort()).toEqual(Object.keys(QUERIES).sort());
  });

  it('needs no composite index the module does not declare', () => {
    const shapes = requests.map((r) => queryShape(r, prefixes));
    expect(problemsOf(shapes, declaredIndexes())).toEqual([]);
    // What the table says, the rules say: every listed query is served by automatic indexes.
    expect(shapes.map((s) => [describeShape(s), indexNeeded(s)]).filter(([, i]) => i !== 'automatic')).toEqual([]);
  });
});

describe('the index rules (negative controls)', () => {
  const shape = (over: Partial<QueryShape>): QueryShape => ({
    collection: 'batches',
    equality: [],
    range: [],
    order: [],
    limit: false,
    aggregations: [],
    ...over,
  });

  it('a count and three sums in one aggregation need a composite index, and fail while undeclared', () => {
    const summary = shape({ aggregations: ['count', 'sum(succeeded)', 'sum(failed)', 'sum(stored)'] });
    expect(indexNeeded(summary)).toEqual({ collection: 'batches', fields: ['succeeded', 'failed', 'stored'] });
    expect(problemsOf([summary], [])).toEqual([
      'batches aggregate count, sum(succeeded), sum(failed), sum(stored) needs a composite index (batches: failed, stored, succeeded) that infra/terraform does not declare',
    ]);
    expect(problemsOf([summary], ['batches: failed, stored, succeeded'])).toEqual([]);
  });

  it('a sum under a filter on another field, and an equality with an order on another field, need one', () => {
    expect(indexNeeded(shape({ equality: ['runId EQUAL'], aggregations: ['sum(failed)'] }))).not.toBe('automatic');
    expect(
      indexNeeded(shape({ collection: 'PREFIX-states', equality: ['date EQUAL'], order: ['updatedAt DESCENDING'] })),
    ).toEqual({ collection: 'PREFIX-states', fields: ['date', 'updatedAt'] });
    expect(indexNeeded(shape({ equality: ['a EQUAL', 'b EQUAL'] }))).toBe('automatic');
  });

  it('reads a declared google_firestore_index from the module (none today: the summary needs none)', () => {
    expect(declaredIndexes()).toEqual([]);
  });
});
