import type { Clock } from '../ports/clock.ts';
import type { TableSchema, Warehouse } from '../ports/warehouse.ts';

interface CacheEntry<T> {
  value: Promise<T>;
  fetchedAt: number;
}

/** Default time a discovered schema is trusted: one hour. */
export const DEFAULT_SCHEMA_TTL_MS = 60 * 60 * 1000;

/**
 * Table schemas discovered from the warehouse's INFORMATION_SCHEMA, cached
 * for a TTL. Concurrent requests for one table share one query (on
 * BigQuery each INFORMATION_SCHEMA query bills at least 10 MB).
 */
export class SchemaRegistry {
  readonly #warehouse: Warehouse;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #schemas = new Map<string, CacheEntry<TableSchema | null>>();
  #tables: CacheEntry<string[]> | undefined;

  constructor(warehouse: Warehouse, options: { clock: Clock; ttlMs?: number }) {
    this.#warehouse = warehouse;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SCHEMA_TTL_MS;
  }

  #fresh<T>(entry: CacheEntry<T> | undefined): entry is CacheEntry<T> {
    return entry !== undefined && this.#clock.now().getTime() - entry.fetchedAt < this.#ttlMs;
  }

  #load<T>(load: () => Promise<T>, store: (entry: CacheEntry<T> | undefined) => void): Promise<T> {
    const entry: CacheEntry<T> = { value: load(), fetchedAt: this.#clock.now().getTime() };
    store(entry);
    // A failed discovery is not cached: the next request tries again.
    entry.value.catch(() => store(undefined));
    return entry.value;
  }

  /** The table's schema, or null when it does not exist. */
  get(table: string): Promise<TableSchema | null> {
    const cached = this.#schemas.get(table);
    if (this.#fresh(cached)) return cached.value;
    return this.#load(
      () => this.#warehouse.describeTable(table),
      (entry) => (entry === undefined ? this.#schemas.delete(table) : this.#schemas.set(table, entry)),
    );
  }

  tables(): Promise<string[]> {
    if (this.#fresh(this.#tables)) return this.#tables.value;
    return this.#load(
      () => this.#warehouse.listTables(),
      (entry) => (this.#tables = entry),
    );
  }

  /** Forgets every cached schema (after a migration, say). */
  clear(): void {
    this.#schemas.clear();
    this.#tables = undefined;
  }
}
