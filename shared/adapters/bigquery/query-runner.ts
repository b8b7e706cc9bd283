import { randomUUID } from 'node:crypto';
import type { BigQuery, Job } from '@google-cloud/bigquery';
import type { Row } from '../../model/types.ts';
import { clientParams } from './params.ts';
import { reasonsOf, withRetries, type RetrySettings } from './retry.ts';
import { rowConverter, type ResultField } from './row-values.ts';

/** Rows asked for per results page; BigQuery also cuts a page at about 10 MB. */
export const PAGE_ROWS = 10_000;

/** Options of every results page request: integers keep every digit, JSON arrives parsed. */
const PAGE_OPTIONS = { maxResults: PAGE_ROWS, autoPaginate: false, wrapIntegers: true, parseJSON: true };

/** Hours a scratch table for an oversized result lives if deleting it after the read fails. */
const SCRATCH_HOURS = 24;

export interface RunnerSettings {
  projectId: string;
  /** Where the jobs run; sent in every job reference. (Default: BigQuery infers it from the datasets) */
  location?: string;
  /** Every query job carries it: BigQuery refuses a query that would bill more. (Default: no limit) */
  maximumBytesBilled?: number;
  retry?: RetrySettings;
  /** Dataset that may hold a scratch table when a result is too large for a query response. */
  scratchDataset?: string;
}

export interface Statement {
  sql: string;
  params: Record<string, unknown>;
  types: Record<string, string | string[]>;
}

type Page = [Array<Record<string, unknown>>, Record<string, unknown> | null | undefined, unknown];

/**
 * Query jobs with the options every job needs (location, byte budget,
 * typed parameters), retried where a retry can help, read page by page
 * with values converted by each page's schema.
 */
export class QueryRunner {
  readonly #client: BigQuery;
  readonly #settings: RunnerSettings;

  constructor(client: BigQuery, settings: RunnerSettings) {
    this.#client = client;
    this.#settings = settings;
  }

  jobOptions(statement: Statement, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { location, maximumBytesBilled } = this.#settings;
    return {
      query: statement.sql,
      params: clientParams(statement.params, statement.types),
      types: statement.types,
      useLegacySql: false,
      ...(location === undefined ? {} : { location }),
      ...(maximumBytesBilled === undefined ? {} : { maximumBytesBilled: String(maximumBytesBilled) }),
      ...extra,
    };
  }

  /**
   * The statement's rows, page by page. Starting the job and reading its
   * first page is retried as one operation: a query has no effect, so a
   * second job reads the same rows. Later pages retry only their own read
   * (same page token), so no row is yielded twice. A result too large for
   * a query response is written to a scratch table and read from there.
   */
  async *pages(statement: Statement): AsyncIterable<Row[]> {
    let scratch: string | null = null;
    try {
      let first: { job: Job; page: Page };
      try {
        first = await this.#start(statement, {});
      } catch (error) {
        if (!reasonsOf(error).includes('responseTooLarge') || this.#settings.scratchDataset === undefined) throw error;
        scratch = await this.#createScratch();
        first = await this.#start(statement, {
          destination: this.#dataset(this.#settings.scratchDataset).table(scratch),
          writeDisposition: 'WRITE_TRUNCATE',
        });
      }
      const response = first.page[2];
      let [rows, next] = first.page;
      const convert = rowConverter((response as { schema?: { fields?: ResultField[] } })?.schema?.fields ?? []);
      for (;;) {
        if (rows.length > 0) yield rows.map(convert);
        if (next == null) break;
        const options = { ...next, ...PAGE_OPTIONS };
        [rows, next] = (await withRetries(() => first.job.getQueryResults(options), this.#settings.retry)) as Page;
      }
    } finally {
      if (scratch !== null) await this.#dropScratch(scratch);
    }
  }

  /** Every row of a small result (schema discovery, stored results of a few entities). */
  async all(statement: Statement): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const page of this.pages(statement)) rows.push(...page);
    return rows;
  }

  /** Runs a statement for its effect (a DML statement that may be repeated safely), retried. */
  async run(statement: Statement): Promise<void> {
    for await (const page of this.pages(statement)) void page;
  }

  /**
   * Runs a query whose rows replace table `table` of `dataset` (a query
   * job with a destination), waiting for it to finish. Retried as one
   * operation: WRITE_TRUNCATE makes a repeat replace, never append.
   */
  async into(statement: Statement, dataset: string, table: string, extra: Record<string, unknown> = {}): Promise<void> {
    await withRetries(async () => {
      const [job] = await this.#client.createQueryJob(
        this.jobOptions(statement, {
          destination: this.#dataset(dataset).table(table),
          writeDisposition: 'WRITE_TRUNCATE',
          ...extra,
        }),
      );
      await job.getQueryResults({ maxResults: 0, autoPaginate: false });
    }, this.#settings.retry);
  }

  /** A free dry run: the job's statistics. Retried: it has no effect at all. */
  async dryRun(statement: Statement): Promise<Record<string, unknown>> {
    return withRetries(async () => {
      const [job] = await this.#client.createQueryJob(this.jobOptions(statement, { dryRun: true }));
      return (job.metadata as { statistics?: Record<string, unknown> }).statistics ?? {};
    }, this.#settings.retry);
  }

  async #start(statement: Statement, extra: Record<string, unknown>): Promise<{ job: Job; page: Page }> {
    return withRetries(async () => {
      const [job] = await this.#client.createQueryJob(this.jobOptions(statement, extra));
      const page = (await job.getQueryResults(PAGE_OPTIONS)) as unknown as Page;
      return { job, page };
    }, this.#settings.retry);
  }

  #dataset(name: string) {
    const { projectId, location } = this.#settings;
    return this.#client.dataset(name, { projectId, ...(location === undefined ? {} : { location }) });
  }

  /** An empty table that expires on its own, should the delete after the read never happen. */
  async #createScratch(): Promise<string> {
    const name = `_compute_read_${randomUUID().replaceAll('-', '')}`;
    const expirationTime = String(Date.now() + SCRATCH_HOURS * 3_600_000);
    // Repeating the create is safe: a 409 means an earlier attempt made it.
    await withRetries(
      () =>
        this.#dataset(this.#settings.scratchDataset!)
          .createTable(name, { expirationTime })
          .catch((error: unknown) => {
            if ((error as { code?: unknown }).code !== 409) throw error;
          }),
      this.#settings.retry,
    );
    return name;
  }

  async #dropScratch(name: string): Promise<void> {
    await this.#dataset(this.#settings.scratchDataset!)
      .table(name)
      .delete()
      .catch(() => undefined);
  }
}
