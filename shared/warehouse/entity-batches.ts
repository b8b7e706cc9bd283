import { compareEntityIds } from './entity-order.ts';

/** A stream of items sorted by entity id (see entity-order.ts) (rows of a table, or stored results). */
export interface EntitySource<T = unknown> {
  /** Name under which the items appear in a batch (a table name, say). */
  name: string;
  chunks: AsyncIterable<T[]>;
  /** The entity id of an item, as text. */
  key(item: T): string;
  /**
   * Whether the source's entities are entities of the merge (default true).
   * A source that does not drive (a table read whole) only gives its items
   * to entities that other sources name.
   */
  drives?: boolean;
}

/** A slice of entities with every source's items for each of them. */
export interface EntityBatch {
  /** 0, 1, 2... in entity order. */
  index: number;
  entityIds: string[];
  /** entity id -> source name -> that entity's items (an array, possibly empty). */
  items: Map<string, Record<string, unknown[]>>;
}

interface Cursor {
  source: EntitySource;
  iterator: AsyncIterator<unknown[]>;
  chunk: unknown[];
  position: number;
  done: boolean;
  lastKey: string | undefined;
}

/**
 * Merges sources that are each sorted by entity id, and cuts the union of
 * their entities into batches. Only the current chunk of each source and
 * the batch being built are held, so memory is bounded by the batch, not
 * by the tables.
 */
export class EntityMerger {
  readonly #cursors: Cursor[];

  private constructor(cursors: Cursor[]) {
    this.#cursors = cursors;
  }

  /** Opens every source and reads its first chunk (which tells whether it is empty). */
  static async open(sources: readonly EntitySource[]): Promise<EntityMerger> {
    const cursors = sources.map((source) => ({
      source,
      iterator: source.chunks[Symbol.asyncIterator](),
      chunk: [],
      position: 0,
      done: false,
      lastKey: undefined,
    }));
    await Promise.all(cursors.map((cursor) => fill(cursor)));
    return new EntityMerger(cursors);
  }

  /** Whether a source yielded no items at all (checked before any batch is cut). */
  isEmpty(name: string): boolean {
    const cursor = this.#cursors.find((c) => c.source.name === name);
    return cursor !== undefined && cursor.done && cursor.lastKey === undefined && cursor.chunk.length === 0;
  }

  async *batches(batchSize: number): AsyncIterable<EntityBatch> {
    let batch: EntityBatch = { index: 0, entityIds: [], items: new Map() };
    for (;;) {
      let next: string | undefined;
      for (const cursor of this.#cursors) {
        if (cursor.done) continue;
        const key = cursor.source.key(cursor.chunk[cursor.position]);
        if (cursor.lastKey !== undefined && compareEntityIds(key, cursor.lastKey) < 0) {
          throw new Error(
            `Source '${cursor.source.name}' is not ordered by entity id: '${key}' came after '${cursor.lastKey}'.`,
          );
        }
        if (next === undefined || compareEntityIds(key, next) < 0) next = key;
      }
      if (next === undefined) break;
      const entry: Record<string, unknown[]> = {};
      let driven = false;
      for (const cursor of this.#cursors) {
        const items = await take(cursor, next);
        entry[cursor.source.name] = items;
        if (items.length > 0 && cursor.source.drives !== false) driven = true;
      }
      // Only sources that do not drive (tables read whole) name it: not an entity of this merge.
      if (!driven) continue;
      batch.entityIds.push(next);
      batch.items.set(next, entry);
      if (batch.entityIds.length === batchSize) {
        yield batch;
        batch = { index: batch.index + 1, entityIds: [], items: new Map() };
      }
    }
    if (batch.entityIds.length > 0) yield batch;
  }

  /** Stops reading every source (ends their queries early). */
  async close(): Promise<void> {
    await Promise.all(this.#cursors.filter((cursor) => !cursor.done).map(async (cursor) => cursor.iterator.return?.()));
  }
}

/** Makes the cursor point at an item, reading chunks as needed. */
async function fill(cursor: Cursor): Promise<void> {
  while (!cursor.done && cursor.position >= cursor.chunk.length) {
    const next = await cursor.iterator.next();
    if (next.done === true) {
      cursor.done = true;
      cursor.chunk = [];
    } else {
      cursor.chunk = next.value;
    }
    cursor.position = 0;
  }
}

/** Every consecutive item of `key` at the cursor's head (possibly across chunks). */
async function take(cursor: Cursor, key: string): Promise<unknown[]> {
  const taken: unknown[] = [];
  while (!cursor.done) {
    const item = cursor.chunk[cursor.position];
    if (cursor.source.key(item) !== key) break;
    taken.push(item);
    cursor.lastKey = key;
    cursor.position++;
    await fill(cursor);
  }
  return taken;
}
