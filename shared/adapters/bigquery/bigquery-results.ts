import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { IsoDate } from '../../model/types.ts';
import type { ResultStore, ResultWriter, StoredResult } from '../../ports/warehouse.ts';
import { quoteBigquery } from '../../warehouse/dialects/bigquery.ts';
import { clientParams } from './params.ts';
import { pagedRows, type BigQueryLike, type BigQueryLocation } from './client.ts';

export const RESULTS_SCHEMA_FIELDS = [
  { name: 'date', type: 'DATE', mode: 'REQUIRED' },
  { name: 'entity_id', type: 'STRING', mode: 'REQUIRED' },
  { name: 'result', type: 'STRING', mode: 'REQUIRED', description: 'JSON text of the result' },
];

/** The results table of a computation. */
export function resultsTableName(computation: string): string {
  return `results_${computation}`;
}

/**
 * Results on BigQuery: one table per computation, partitioned by date and
 * clustered by entity. A replace is one load job into the date's partition
 * (`table$YYYYMMDD`) with WRITE_TRUNCATE: atomic, free, never appended twice.
 * Rows are spooled to a local NDJSON file first, so memory stays bounded.
 */
export class BigqueryResultStore implements ResultStore {
  readonly #client: BigQueryLike;
  readonly #at: BigQueryLocation;

  constructor(client: BigQueryLike, location: BigQueryLocation) {
    this.#client = client;
    this.#at = location;
  }

  get #dataset(): string {
    return this.#at.resultsDataset ?? this.#at.dataset;
  }

  async #ensureTable(computation: string): Promise<void> {
    const dataset = this.#client.dataset(this.#dataset, { projectId: this.#at.projectId });
    const [exists] = await dataset.table(resultsTableName(computation)).exists();
    if (exists) return;
    try {
      await dataset.createTable(resultsTableName(computation), {
        schema: { fields: RESULTS_SCHEMA_FIELDS },
        timePartitioning: { type: 'DAY', field: 'date' },
        clustering: { fields: ['entity_id'] },
      });
    } catch (error) {
      // Dates run side by side each find the table missing and create it: the losers' 409 is success.
      if ((error as { code?: unknown }).code !== 409) throw error;
    }
  }

  /** The load job request that replaces one date's partition. */
  loadRequest(computation: string, date: IsoDate): { table: string; metadata: Record<string, unknown> } {
    return {
      table: `${resultsTableName(computation)}$${date.replaceAll('-', '')}`,
      metadata: {
        sourceFormat: 'NEWLINE_DELIMITED_JSON',
        writeDisposition: 'WRITE_TRUNCATE',
        schema: { fields: RESULTS_SCHEMA_FIELDS },
        ...(this.#at.location === undefined ? {} : { location: this.#at.location }),
      },
    };
  }

  async openReplace(computation: string, date: IsoDate): Promise<ResultWriter> {
    const folder = await mkdtemp(join(tmpdir(), 'compute-results-'));
    const file = join(folder, 'results.ndjson');
    const out = createWriteStream(file);
    let rows = 0;
    const cleanup = () => rm(folder, { recursive: true, force: true });
    return {
      append: async (results) => {
        for (const { entityId, result } of results) {
          if (!out.write(`${JSON.stringify({ date, entity_id: entityId, result: JSON.stringify(result) })}\n`))
            await once(out, 'drain');
          rows++;
        }
      },
      commit: async () => {
        out.end();
        await once(out, 'finish');
        try {
          await this.#ensureTable(computation);
          if (rows === 0) {
            await this.#query(
              `DELETE FROM ${this.#tableRef(computation)} WHERE date = @date`,
              { date },
              { date: 'DATE' },
            );
          } else {
            const { table, metadata } = this.loadRequest(computation, date);
            await this.#client
              .dataset(this.#dataset, { projectId: this.#at.projectId })
              .table(table)
              .load(file, metadata);
          }
        } finally {
          await cleanup();
        }
      },
      abort: async () => {
        out.destroy();
        await cleanup();
      },
    };
  }

  #tableRef(computation: string): string {
    return quoteBigquery(`${this.#at.projectId}.${this.#dataset}.${resultsTableName(computation)}`);
  }

  #jobOptions(query: string, params: Record<string, unknown>, types: Record<string, unknown>): Record<string, unknown> {
    return {
      query,
      params: clientParams(params, types as Record<string, string | string[]>),
      types,
      useLegacySql: false,
      ...(this.#at.location === undefined ? {} : { location: this.#at.location }),
    };
  }

  async #query(
    query: string,
    params: Record<string, unknown>,
    types: Record<string, unknown>,
  ): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    for await (const page of pagedRows(this.#client, this.#jobOptions(query, params, types))) rows.push(...page);
    return rows;
  }

  /** The read of stored results, as sent to BigQuery. */
  readQuery(
    computation: string,
    date: IsoDate,
    entityIds?: readonly string[],
  ): { query: string; params: Record<string, unknown>; types: Record<string, unknown> } {
    const filter = entityIds === undefined ? '' : ' AND entity_id IN UNNEST(@ids)';
    return {
      query: `SELECT entity_id, result FROM ${this.#tableRef(computation)} WHERE date = @date${filter} ORDER BY entity_id`,
      params: entityIds === undefined ? { date } : { date, ids: [...entityIds] },
      types: entityIds === undefined ? { date: 'DATE' } : { date: 'DATE', ids: ['STRING'] },
    };
  }

  async read(computation: string, date: IsoDate, entityIds?: readonly string[]): Promise<StoredResult[]> {
    if (entityIds !== undefined && entityIds.length === 0) return [];
    const [exists] = await this.#client
      .dataset(this.#dataset, { projectId: this.#at.projectId })
      .table(resultsTableName(computation))
      .exists();
    if (!exists) return [];
    const { query, params, types } = this.readQuery(computation, date, entityIds);
    const rows = await this.#query(query, params, types);
    return rows.map((r) => ({ entityId: String(r.entity_id), result: JSON.parse(String(r.result)) as unknown }));
  }

  async *stream(computation: string, date: IsoDate): AsyncIterable<StoredResult[]> {
    const [exists] = await this.#client
      .dataset(this.#dataset, { projectId: this.#at.projectId })
      .table(resultsTableName(computation))
      .exists();
    if (!exists) return;
    const { query, params, types } = this.readQuery(computation, date);
    for await (const rows of pagedRows(this.#client, this.#jobOptions(query, params, types))) {
      yield rows.map((r) => ({ entityId: String(r.entity_id), result: JSON.parse(String(r.result)) as unknown }));
    }
  }
}
