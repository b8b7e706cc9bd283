import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { duckType, typeText, type Field } from './schema.ts';
import type { Catalog } from './translate.ts';
import { literal } from './wire.ts';

/** What the fake keeps about a table beyond its DuckDB rows. */
export interface TableMeta {
  fields: Field[];
  /** Milliseconds since the epoch after which BigQuery deletes the table. */
  expirationTime?: string;
  /** Day partitioning; no field means ingestion-time partitioning (_PARTITIONTIME). */
  timePartitioning?: { type: 'DAY'; field?: string };
  requirePartitionFilter?: boolean;
  clustering?: { fields: string[] };
  description?: string;
}

const INFO_SQL = [
  'CREATE SCHEMA IF NOT EXISTS "__info"',
  `CREATE TABLE IF NOT EXISTS "__info"."columns" (table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR,
     column_name VARCHAR, ordinal_position BIGINT, is_nullable VARCHAR, data_type VARCHAR, is_hidden VARCHAR,
     is_partitioning_column VARCHAR, clustering_ordinal_position BIGINT)`,
  `CREATE TABLE IF NOT EXISTS "__info"."tables" (table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR,
     table_type VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS "__info"."table_options" (table_catalog VARCHAR, table_schema VARCHAR,
     table_name VARCHAR, option_name VARCHAR, option_type VARCHAR, option_value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS "__info"."partitions" (table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR,
     partition_id VARCHAR, total_rows BIGINT, last_modified_time TIMESTAMP)`,
];

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const s = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Datasets and tables of the fake: rows in DuckDB (one schema per dataset),
 * metadata here, and INFORMATION_SCHEMA views kept as DuckDB tables.
 */
export class FakeCatalog implements Catalog {
  readonly projectId: string;
  readonly #db: DuckDBConnection;
  readonly datasets = new Map<string, { location: string }>();
  readonly tables = new Map<string, TableMeta>();
  /** Per table, per partition: a fingerprint of its rows and when it last changed, as BigQuery tracks it. */
  readonly #partitions = new Map<string, Map<string, { fingerprint: string; modified: number }>>();
  #lastModified = 0;

  constructor(projectId: string, db: DuckDBConnection) {
    this.projectId = projectId;
    this.#db = db;
  }

  async init(): Promise<void> {
    for (const sql of INFO_SQL) await this.#db.run(sql);
  }

  hasDataset(dataset: string): boolean {
    return this.datasets.has(dataset);
  }

  hasTable(dataset: string, table: string): boolean {
    return this.tables.has(`${dataset}.${table}`);
  }

  meta(dataset: string, table: string): TableMeta | undefined {
    return this.tables.get(`${dataset}.${table}`);
  }

  requiredFilter(dataset: string, table: string): string | null {
    const meta = this.meta(dataset, table);
    if (meta?.requirePartitionFilter !== true) return null;
    return meta.timePartitioning?.field ?? '_PARTITIONTIME';
  }

  async createDataset(dataset: string, location = 'US'): Promise<void> {
    this.datasets.set(dataset, { location });
    await this.#db.run(`CREATE SCHEMA IF NOT EXISTS ${q(dataset)}`);
  }

  async createTable(dataset: string, table: string, meta: TableMeta, rowsExist = false): Promise<void> {
    const fields = meta.fields ?? [];
    // A table created without a schema (to receive a query's result) exists only as metadata until then.
    if (!rowsExist && fields.length > 0) {
      await this.#db.run(
        `CREATE TABLE ${q(dataset)}.${q(table)} (${fields.map((f) => `${q(f.name)} ${duckType(f)}`).join(', ')})`,
      );
    }
    meta = { ...meta, fields };
    this.tables.set(`${dataset}.${table}`, meta);
    const partitionField = meta.timePartitioning === undefined ? null : (meta.timePartitioning.field ?? null);
    const columns = meta.fields.map((f, i) => ({
      name: f.name,
      type: typeText(f),
      nullable: f.mode !== 'REQUIRED' && f.mode !== 'REPEATED',
      hidden: false,
      partitioning: f.name === partitionField,
      clustering: meta.clustering?.fields.indexOf(f.name) ?? -1,
      position: i + 1,
    }));
    if (meta.timePartitioning !== undefined && partitionField === null) {
      // Ingestion-time partitioning: BigQuery lists the pseudo-columns as hidden.
      const n = columns.length;
      columns.push(
        {
          name: '_PARTITIONTIME',
          type: 'TIMESTAMP',
          nullable: true,
          hidden: true,
          partitioning: true,
          clustering: -1,
          position: n + 1,
        },
        {
          name: '_PARTITIONDATE',
          type: 'DATE',
          nullable: true,
          hidden: true,
          partitioning: false,
          clustering: -1,
          position: n + 2,
        },
      );
    }
    const head = `${s(this.projectId)}, ${s(dataset)}, ${s(table)}`;
    for (const c of columns) {
      await this.#db.run(
        `INSERT INTO "__info"."columns" VALUES (${head}, ${s(c.name)}, ${c.position}, ${s(c.nullable ? 'YES' : 'NO')}, ${s(c.type)}, ${s(c.hidden ? 'YES' : 'NO')}, ${s(c.partitioning ? 'YES' : 'NO')}, ${c.clustering < 0 ? 'NULL' : c.clustering + 1})`,
      );
    }
    await this.#db.run(`INSERT INTO "__info"."tables" VALUES (${head}, 'BASE TABLE')`);
    if (meta.requirePartitionFilter === true) {
      await this.#db.run(
        `INSERT INTO "__info"."table_options" VALUES (${head}, 'require_partition_filter', 'BOOL', 'true')`,
      );
    }
  }

  /**
   * Brings INFORMATION_SCHEMA.PARTITIONS up to date with the tables' rows:
   * a partition whose rows changed (by a load, DML or a seeding helper) since
   * the last look gets a new last_modified_time, as BigQuery gives it.
   */
  async refreshPartitions(): Promise<void> {
    await this.#db.run('DELETE FROM "__info"."partitions"');
    for (const [key, meta] of this.tables) {
      const [dataset, table] = key.split('.') as [string, string];
      const exists = await this.#db.runAndReadAll(
        `SELECT count(*) FROM information_schema.tables WHERE table_schema = ${s(dataset)} AND table_name = ${s(table)}`,
      );
      if (Number(exists.getRows()[0]![0]) === 0) continue;
      const field = meta.timePartitioning?.field;
      const id =
        meta.timePartitioning === undefined
          ? 'NULL'
          : field === undefined
            ? "strftime(current_date, '%Y%m%d')"
            : `coalesce(strftime(CAST(${q(field)} AS DATE), '%Y%m%d'), '__NULL__')`;
      const reader = await this.#db.runAndReadAll(
        `SELECT ${id} AS pid, count(*)::BIGINT AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS h FROM ${q(dataset)}.${q(table)} t GROUP BY ALL`,
      );
      const known = this.#partitions.get(key) ?? new Map<string, { fingerprint: string; modified: number }>();
      const seen = new Map<string, { fingerprint: string; modified: number }>();
      for (const [pid, n, h] of reader.getRows() as Array<[string | null, bigint, string]>) {
        const fingerprint = `${n}:${h}`;
        const before = known.get(pid ?? '');
        const modified =
          before !== undefined && before.fingerprint === fingerprint
            ? before.modified
            : (this.#lastModified = Math.max(Date.now(), this.#lastModified + 1));
        seen.set(pid ?? '', { fingerprint, modified });
        await this.#db.run(
          `INSERT INTO "__info"."partitions" VALUES (${s(this.projectId)}, ${s(dataset)}, ${s(table)}, ${pid === null ? 'NULL' : s(pid)}, ${n}, make_timestamp(${modified * 1000}))`,
        );
      }
      this.#partitions.set(key, seen);
    }
  }

  /** A query's destination table, replaced by the query's result (WRITE_TRUNCATE). */
  async replaceFromQuery(
    dataset: string,
    table: string,
    fields: Field[],
    sql: string,
    values: Record<string, DuckDBValue>,
  ): Promise<void> {
    const kept = this.meta(dataset, table);
    await this.dropTable(dataset, table);
    await this.#db.run(`CREATE TABLE ${q(dataset)}.${q(table)} AS ${sql}`, values);
    await this.createTable(dataset, table, { ...kept, fields }, true);
  }

  async dropTable(dataset: string, table: string): Promise<void> {
    this.tables.delete(`${dataset}.${table}`);
    await this.#db.run(`DROP TABLE IF EXISTS ${q(dataset)}.${q(table)}`);
    this.#partitions.delete(`${dataset}.${table}`);
    for (const view of ['columns', 'tables', 'table_options', 'partitions']) {
      await this.#db.run(
        `DELETE FROM "__info".${q(view)} WHERE table_schema = ${s(dataset)} AND table_name = ${s(table)}`,
      );
    }
  }

  /** Appends rows given as JSON objects (seeding, load jobs); throws on a value a column cannot hold. */
  async insertRows(dataset: string, table: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    const meta = this.meta(dataset, table)!;
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map((row) => `(${meta.fields.map((f) => literal(row[f.name], f)).join(', ')})`);
      await this.#db.run(`INSERT INTO ${q(dataset)}.${q(table)} VALUES ${values.join(', ')}`);
    }
  }

  async rowCount(dataset: string, table: string): Promise<number> {
    const reader = await this.#db.runAndReadAll(`SELECT count(*) FROM ${q(dataset)}.${q(table)}`);
    return Number(reader.getRows()[0]![0]);
  }

  /** The REST Table resource of tables.get. */
  resource(dataset: string, table: string, numRows: number): Record<string, unknown> {
    const meta = this.meta(dataset, table)!;
    return {
      kind: 'bigquery#table',
      id: `${this.projectId}:${dataset}.${table}`,
      tableReference: { projectId: this.projectId, datasetId: dataset, tableId: table },
      schema: { fields: meta.fields },
      ...(meta.timePartitioning === undefined ? {} : { timePartitioning: meta.timePartitioning }),
      ...(meta.requirePartitionFilter === undefined ? {} : { requirePartitionFilter: meta.requirePartitionFilter }),
      ...(meta.clustering === undefined ? {} : { clustering: meta.clustering }),
      numRows: String(numRows),
      type: 'TABLE',
      location: this.datasets.get(dataset)!.location,
    };
  }
}
