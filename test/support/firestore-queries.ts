import type { Firestore } from '@google-cloud/firestore';

/**
 * The queries a Firestore client sends, read where the client hands each
 * RunQuery / RunAggregationQuery request to gRPC, and the index each needs
 * on real Firestore (the emulator needs none, so it cannot tell).
 */

interface FieldRef {
  fieldPath?: string | null;
}
interface ProtoFilter {
  fieldFilter?: { field?: FieldRef; op?: string | null } | null;
  unaryFilter?: { field?: FieldRef; op?: string | null } | null;
  compositeFilter?: { op?: string | null; filters?: ProtoFilter[] | null } | null;
}
interface StructuredQuery {
  from?: Array<{ collectionId?: string | null; allDescendants?: boolean | null }> | null;
  where?: ProtoFilter | null;
  orderBy?: Array<{ field?: FieldRef; direction?: string | null }> | null;
  limit?: unknown;
}
interface Aggregation {
  count?: unknown;
  sum?: { field?: FieldRef } | null;
  avg?: { field?: FieldRef } | null;
}
interface QueryRequest {
  structuredQuery?: StructuredQuery | null;
  structuredAggregationQuery?: { structuredQuery?: StructuredQuery | null; aggregations?: Aggregation[] | null } | null;
}

/** One query as Firestore plans it: what it filters, orders and aggregates. */
export interface QueryShape {
  collection: string;
  /** Fields compared with ==, in, array-contains (or is null / is NaN). */
  equality: string[];
  /** Fields compared with <, <=, >, >=, != or not-in. */
  range: string[];
  /** Ordered fields with their direction, e.g. 'startedAt DESCENDING'. */
  order: string[];
  limit: boolean;
  /** count, sum(FIELD), avg(FIELD). */
  aggregations: string[];
}

const EQUALITY = new Set(['EQUAL', 'IN', 'ARRAY_CONTAINS', 'ARRAY_CONTAINS_ANY', 'IS_NULL', 'IS_NAN']);
const DOCUMENT_ID = '__name__';

function filterFields(filter: ProtoFilter | null | undefined, shape: QueryShape): void {
  if (filter === null || filter === undefined) return;
  for (const inner of filter.compositeFilter?.filters ?? []) filterFields(inner, shape);
  const field = filter.fieldFilter ?? filter.unaryFilter;
  if (field === null || field === undefined) return;
  const path = field.field?.fieldPath ?? '?';
  (EQUALITY.has(String(field.op)) ? shape.equality : shape.range).push(`${path} ${String(field.op)}`);
}

/** The shape of a RunQuery or RunAggregationQuery request; `prefixes` become PREFIX in collection names. */
export function queryShape(request: QueryRequest, prefixes: Iterable<string> = []): QueryShape {
  const query = request.structuredAggregationQuery?.structuredQuery ?? request.structuredQuery ?? {};
  let collection = query.from?.[0]?.collectionId ?? '?';
  for (const prefix of prefixes)
    if (collection.startsWith(`${prefix}-`)) collection = `PREFIX${collection.slice(prefix.length)}`;
  const shape: QueryShape = { collection, equality: [], range: [], order: [], limit: false, aggregations: [] };
  filterFields(query.where, shape);
  shape.order = (query.orderBy ?? []).map((o) => `${o.field?.fieldPath ?? '?'} ${o.direction ?? 'ASCENDING'}`);
  shape.limit = query.limit !== null && query.limit !== undefined;
  shape.aggregations = (request.structuredAggregationQuery?.aggregations ?? []).map((a) => {
    if (a.sum) return `sum(${a.sum.field?.fieldPath ?? '?'})`;
    if (a.avg) return `avg(${a.avg.field?.fieldPath ?? '?'})`;
    return 'count';
  });
  return shape;
}

/** A readable key of a shape, as the index table of a test lists it. */
export function describeShape(shape: QueryShape): string {
  const parts = [shape.collection];
  if (shape.equality.length + shape.range.length > 0)
    parts.push(`where ${[...shape.equality, ...shape.range].join(' and ')}`);
  if (shape.order.length > 0) parts.push(`order by ${shape.order.join(', ')}`);
  if (shape.limit) parts.push('limit');
  if (shape.aggregations.length > 0) parts.push(`aggregate ${shape.aggregations.join(', ')}`);
  return parts.join(' ');
}

const fieldOf = (term: string) => term.split(' ')[0]!;

/**
 * The index a query needs on Firestore (Standard edition, native mode):
 * 'automatic' when the single-field indexes Firestore keeps for every field
 * serve it, else the fields of the composite index it needs. The rules
 * (Firestore docs, "Index types" and "Aggregation queries"): equality
 * filters alone are served by merging single-field indexes; a range filter
 * or order on one field (with no other filter) by that field's index; the
 * document id rides along in every index; sum() and avg() are computed by
 * scanning an index that holds the summed field, so a summed field with a
 * filter on another field, or two summed fields, need a composite index.
 */
export function indexNeeded(shape: QueryShape): 'automatic' | { collection: string; fields: string[] } {
  const equality = [...new Set(shape.equality.map(fieldOf))].filter((f) => f !== DOCUMENT_ID);
  const ranged = [...new Set([...shape.range, ...shape.order].map(fieldOf))].filter((f) => f !== DOCUMENT_ID);
  const summed = [...new Set(shape.aggregations.filter((a) => a !== 'count').map((a) => a.slice(4, -1)))];
  const automatic =
    summed.length === 0
      ? ranged.length === 0 || (equality.length === 0 && ranged.length === 1)
      : equality.length === 0 && ranged.length === 0 && summed.length === 1;
  if (automatic) return 'automatic';
  return { collection: shape.collection, fields: [...new Set([...equality, ...ranged, ...summed])] };
}

/**
 * Records every query `db` sends from now on, at the call that hands the
 * request to gRPC (the real client builds it; nothing is faked).
 */
export function recordQueries(db: Firestore, sink: QueryRequest[]): Firestore {
  const client = db as unknown as {
    requestStream(method: string, bidirectional: boolean, request: unknown, tag: string): Promise<unknown>;
  };
  const send = client.requestStream.bind(client);
  client.requestStream = (method, bidirectional, request, tag) => {
    if (method === 'runQuery' || method === 'runAggregationQuery') sink.push(request as QueryRequest);
    return send(method, bidirectional, request, tag);
  };
  return db;
}
