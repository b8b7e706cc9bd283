import { rowConverter, type ResultField } from './row-values.ts';

/**
 * The part of the @google-cloud/bigquery client the adapters use, typed
 * narrowly so the composition root can hand in a real `BigQuery` and unit
 * tests a recording stand-in (no BigQuery emulator exists).
 */
export interface QueryJobLike {
  metadata: {
    statistics?: { query?: { totalBytesProcessed?: string; totalBytesProcessedAccuracy?: string } };
  };
  getQueryResults(
    options: Record<string, unknown>,
  ): Promise<[Array<Record<string, unknown>>, (Record<string, unknown> | null)?, ...unknown[]]>;
}

export interface TableLike {
  exists(): Promise<[boolean]>;
  load(source: string, metadata: Record<string, unknown>): Promise<unknown>;
}

export interface DatasetLike {
  table(name: string): TableLike;
  createTable(name: string, options: Record<string, unknown>): Promise<unknown>;
}

export interface BigQueryLike {
  createQueryJob(options: Record<string, unknown>): Promise<[QueryJobLike, ...unknown[]]>;
  dataset(name: string, options?: Record<string, unknown>): DatasetLike;
}

/** Where the adapters read and write. */
export interface BigQueryLocation {
  projectId: string;
  dataset: string;
  /** Dataset for results tables. (Default: the same dataset) */
  resultsDataset?: string;
  location?: string;
  /** Refuse queries that would bill more bytes. (Default: no limit) */
  maximumBytesBilled?: number;
}

/** Rows per page read from a query's results. */
export const PAGE_ROWS = 10_000;

/** Options of every results page request: integers keep every digit, JSON arrives parsed. */
const PAGE_OPTIONS = { maxResults: PAGE_ROWS, autoPaginate: false, wrapIntegers: true, parseJSON: true };

/**
 * Runs a query job and yields its result pages, one page in memory at a
 * time, with portable values (converted by the schema each page carries).
 */
export async function* pagedRows(
  client: BigQueryLike,
  jobOptions: Record<string, unknown>,
): AsyncIterable<Array<Record<string, unknown>>> {
  const [job] = await client.createQueryJob(jobOptions);
  let page: Record<string, unknown> | null = PAGE_OPTIONS;
  let convert: ((row: Record<string, unknown>) => Record<string, unknown>) | undefined;
  while (page !== null) {
    const [rows, next, response] = await job.getQueryResults(page);
    convert ??= rowConverter((response as { schema?: { fields?: ResultField[] } } | undefined)?.schema?.fields ?? []);
    if (rows.length > 0) yield rows.map(convert);
    page = next == null ? null : { ...next, ...PAGE_OPTIONS };
  }
}
