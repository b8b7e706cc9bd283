import type { Problem } from '../errors.ts';
import type { ManifestEntry } from '../manifest/manifest.ts';
import type { IsoDate, Row } from '../model/types.ts';
import type { CompiledQuery, ScanEstimate, TableQuery, VersionScope, Warehouse } from '../ports/warehouse.ts';
import type { ProjectConfig } from '../project/project-config.ts';
import { EntityMerger, type EntitySource } from './entity-batches.ts';
import { planTableQuery } from './plan-query.ts';
import type { SchemaRegistry } from './schema-registry.ts';

/** One required table's validated read. */
export interface PlannedRead {
  table: string;
  mandatory: boolean;
  query: TableQuery;
  compiled: CompiledQuery;
}

/** Versions of the rows a computation reads, by table, and the window each covers ('window A..B', 'whole table'). */
export interface InputVersions {
  versions: Record<string, string>;
  windows: Record<string, string>;
}

/** Why a computation cannot run for a date: a mandatory table has no rows in its window. */
export function impossibleReason(read: Pick<PlannedRead, 'table' | 'query'>): string {
  const window = read.query.window;
  return window === null
    ? `mandatory table '${read.table}' has no rows`
    : `mandatory table '${read.table}' has no rows between ${window.from} and ${window.to} (column ${window.column.name})`;
}

/**
 * Reads what a computation requires for a date: validates and compiles one
 * query per required table, then streams them (per entity) or loads them
 * (global). Each table is queried once per computation and date.
 */
export class ComputationReader {
  readonly #warehouse: Warehouse;
  readonly #registry: SchemaRegistry;
  readonly #project: ProjectConfig;

  constructor(options: { warehouse: Warehouse; registry: SchemaRegistry; project: ProjectConfig }) {
    this.#warehouse = options.warehouse;
    this.#registry = options.registry;
    this.#project = options.project;
  }

  /** The validated, compiled reads of a computation for a date, or every problem found. */
  async plan(
    entry: ManifestEntry,
    date: IsoDate,
  ): Promise<{ reads: PlannedRead[]; problems: Problem[]; warnings: Problem[] }> {
    const tables = Object.entries(entry.config.requires);
    if (tables.length === 0) return { reads: [], problems: [], warnings: [] };
    const [known, schemas] = await Promise.all([
      this.#registry.tables(),
      Promise.all(tables.map(([table]) => this.#registry.get(table))),
    ]);
    const reads: PlannedRead[] = [];
    const problems: Problem[] = [];
    const warnings: Problem[] = [];
    tables.forEach(([table, requirement], i) => {
      const planned = planTableQuery({
        computation: entry.name,
        type: entry.config.type,
        table,
        requirement,
        entityField: this.#project.entityField,
        dateField: this.#project.dateField,
        schema: schemas[i]!,
        tables: known,
        date,
      });
      problems.push(...planned.problems);
      warnings.push(...planned.warnings);
      if (planned.query !== null)
        reads.push({
          table,
          mandatory: requirement.mandatory,
          query: planned.query,
          compiled: this.#warehouse.compile(planned.query),
        });
    });
    return { reads, problems, warnings };
  }

  /** Dry-run estimates of each read; the total is unknown if any part is. */
  async estimate(
    reads: readonly PlannedRead[],
  ): Promise<{ perTable: Record<string, ScanEstimate>; totalBytes: number | null }> {
    const estimates = await Promise.all(reads.map((read) => this.#warehouse.estimate(read.compiled)));
    const perTable = Object.fromEntries(reads.map((read, i) => [read.table, estimates[i]!]));
    const totalBytes = estimates.some((e) => e.bytes === null) ? null : estimates.reduce((sum, e) => sum + e.bytes!, 0);
    return { perTable, totalBytes };
  }

  /**
   * The version of the rows each read sees, for the tables whose versions
   * count (requires.TABLE.version, else the project's inputVersions), with
   * the window each one covers for messages. Lookups sharing `scope` share
   * their queries.
   */
  async inputVersions(
    entry: ManifestEntry,
    reads: readonly PlannedRead[],
    scope: VersionScope,
  ): Promise<InputVersions> {
    const versions: Record<string, string> = {};
    const windows: Record<string, string> = {};
    const counted = reads.filter((read) => entry.config.requires[read.table]?.version ?? this.#project.inputVersions);
    const found = await Promise.all(counted.map((read) => this.#warehouse.inputVersion(read.query, scope)));
    counted.forEach((read, i) => {
      const version = found[i];
      if (version === null || version === undefined) return;
      versions[read.table] = version;
      const window = read.query.window;
      windows[read.table] = window === null ? 'whole table' : `window ${window.from}..${window.to}`;
    });
    return { versions, windows };
  }

  /** What one version query costs on this warehouse, in words. */
  get versionQueryCost(): string {
    return this.#warehouse.versionQueryCost;
  }

  /** Whether reading a table costs nothing (DuckDB) or bills a scan (BigQuery). */
  get scansAreFree(): boolean {
    return this.#warehouse.dialect === 'duckdb';
  }

  /**
   * Why the computation would be impossible (a mandatory table with no rows
   * in its window), or null. Reads at most one chunk of each mandatory table.
   */
  async mandatoryEmpty(reads: readonly PlannedRead[]): Promise<string | null> {
    for (const read of reads.filter((r) => r.mandatory)) {
      let empty = true;
      for await (const chunk of this.#warehouse.stream(read.compiled)) {
        empty = chunk.length === 0;
        break;
      }
      if (empty) return impossibleReason(read);
    }
    return null;
  }

  /** Global mode: every row of each table's window. */
  async readAll(reads: readonly PlannedRead[]): Promise<{ data: Record<string, Row[]>; impossible: string | null }> {
    const data: Record<string, Row[]> = {};
    await Promise.all(
      reads.map(async (read) => {
        const rows: Row[] = [];
        for await (const chunk of this.#warehouse.stream(read.compiled)) for (const row of chunk) rows.push(row);
        data[read.table] = rows;
      }),
    );
    const empty = reads.find((read) => read.mandatory && data[read.table]!.length === 0);
    return { data, impossible: empty === undefined ? null : impossibleReason(empty) };
  }

  /**
   * Per-entity mode: opens one ordered stream per table (plus any extra
   * sources, such as stored dependency results) and merges them by entity.
   * The entities are those of the dated tables' windows and the extra
   * sources; a table read whole adds none (unless every table is).
   * A mandatory table found empty on its first chunk makes the computation
   * impossible before any batch is cut.
   */
  async openEntities(
    reads: readonly PlannedRead[],
    extra: readonly EntitySource[] = [],
  ): Promise<{ merger: EntityMerger; impossible: string | null }> {
    // Tables read whole (no date window) give their rows to entities but add none, unless every table is read whole.
    const allWhole = reads.every((read) => read.query.window === null);
    const sources: EntitySource[] = reads.map((read) => {
      const column = read.query.entity!.name;
      return {
        name: read.table,
        chunks: this.#warehouse.stream(read.compiled),
        key: (row) => String((row as Row)[column]),
        drives: allWhole || read.query.window !== null,
      };
    });
    const merger = await EntityMerger.open([...sources, ...extra]);
    const empty = reads.find((read) => read.mandatory && merger.isEmpty(read.table));
    if (empty !== undefined) {
      await merger.close();
      return { merger, impossible: impossibleReason(empty) };
    }
    return { merger, impossible: null };
  }
}
