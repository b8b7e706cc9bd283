import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { BigQuery } from '@google-cloud/bigquery';
import type { IsoDate } from '../../model/types.ts';
import type { ResultStore, ResultWriter, StoredResult } from '../../ports/warehouse.ts';
import { bigqueryResultsDelete, bigqueryResultsRead } from '../../warehouse/dialects/bigquery.ts';
import type { BigQueryLocation } from './client.ts';
import { QueryRunner } from './query-runner.ts';
import { withRetries } from './retry.ts';

/** Codes of a write refused for want of room: a full disk, or (Cloud Run's docs) a full in-memory volume. */
const OUT_OF_ROOM = new Set(['ENOSPC', 'ENOMEM', 'EDQUOT']);

/** A spool write that failed; out of room says which setting makes room. */
export function explainSpoolError(error: Error, spool: string, computation: string, date: IsoDate): Error {
  if (!OUT_OF_ROOM.has(String((error as NodeJS.ErrnoException).code))) return error;
  return new Error(
    `The results of ${computation} on ${date} do not fit in the spool folder ${spool} (warehouse.spoolDir): it is full. On Cloud Run it is the Terraform module's in-memory volume: raise results_spool_size (and planner_executor.memory with it).`,
    { cause: error },
  );
}

export const RESULTS_SCHEMA_FIELDS = [
  { name: 'date', type: 'DATE', mode: 'REQUIRED' },
  { name: 'entity_id', type: 'STRING', mode: 'REQUIRED' },
  { name: 'result', type: 'STRING', mode: 'REQUIRED', description: 'JSON text of the result' },
];

/** The results table of a computation. */
export function resultsTableName(computation: string): string {
  return `results_${computation}`;
}

/** The load job that replaces one date's partition: WRITE_TRUNCATE into `table$YYYYMMDD`. */
export function loadMetadata(): Record<string, unknown> {
  return {
    sourceFormat: 'NEWLINE_DELIMITED_JSON',
    writeDisposition: 'WRITE_TRUNCATE',
    schema: { fields: RESULTS_SCHEMA_FIELDS },
  };
}

/**
 * Results on BigQuery: one table per computation, partitioned by date and
 * clustered by entity. A replace is one load job into the date's partition
 * (`table$YYYYMMDD`) with WRITE_TRUNCATE: atomic, free, never appended twice.
 * Rows are spooled to an NDJSON file in `spoolDir` first, so a retried
 * upload can send them again. A spool that runs out of room fails the
 * commit with what to raise (on Cloud Run the folder is memory: the module's
 * size-limited volume, infra/README.md).
 */
export class BigqueryResultStore implements ResultStore {
  readonly #client: BigQuery;
  readonly #at: BigQueryLocation;
  readonly #jobs: QueryRunner;
  /** Tables known to exist; this store never deletes one, so once seen is enough. */
  readonly #known = new Set<string>();

  constructor(client: BigQuery, location: BigQueryLocation) {
    this.#client = client;
    this.#at = location;
    this.#jobs = new QueryRunner(client, {
      projectId: location.projectId,
      location: this.#location,
      maximumBytesBilled: location.maximumBytesBilled,
      retry: location.retry,
    });
  }

  get #datasetName(): string {
    return this.#at.resultsDataset ?? this.#at.dataset;
  }

  get #location(): string | undefined {
    return this.#at.resultsLocation ?? this.#at.location;
  }

  #dataset() {
    const location = this.#location;
    return this.#client.dataset(this.#datasetName, {
      projectId: this.#at.projectId,
      ...(location === undefined ? {} : { location }),
    });
  }

  #path(computation: string): string {
    return `${this.#at.projectId}.${this.#datasetName}.${resultsTableName(computation)}`;
  }

  async #exists(computation: string): Promise<boolean> {
    if (this.#known.has(computation)) return true;
    // A lookup: asking again changes nothing.
    const [exists] = await withRetries(
      () => this.#dataset().table(resultsTableName(computation)).exists(),
      this.#at.retry,
    );
    if (exists) this.#known.add(computation);
    return exists;
  }

  async #ensureTable(computation: string): Promise<void> {
    if (await this.#exists(computation)) return;
    // Creating again is safe: a 409 Already Exists (dates run side by side, or an
    // earlier attempt that succeeded) means the table is there.
    await withRetries(async () => {
      try {
        await this.#dataset().createTable(resultsTableName(computation), {
          schema: { fields: RESULTS_SCHEMA_FIELDS },
          timePartitioning: { type: 'DAY', field: 'date' },
          clustering: { fields: ['entity_id'] },
        });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 409) throw error;
      }
    }, this.#at.retry);
    this.#known.add(computation);
  }

  /**
   * Uploads the file as a load job into the date's partition. Repeating it
   * is safe: WRITE_TRUNCATE replaces the partition with the same rows, so an
   * upload cut half-way, a rate limit ("too many table update operations")
   * or a backend error is retried. The location travels in the job
   * reference (the table's), where BigQuery reads it.
   */
  async #load(computation: string, date: IsoDate, file: string): Promise<void> {
    const table = this.#dataset().table(`${resultsTableName(computation)}$${date.replaceAll('-', '')}`);
    await withRetries(async () => {
      const upload = table.createWriteStream(loadMetadata());
      const done = new Promise<void>((resolve, reject) => {
        upload.once('complete', () => resolve());
        upload.once('error', reject);
      });
      await Promise.all([pipeline(createReadStream(file), upload), done]);
    }, this.#at.retry);
  }

  async openReplace(computation: string, date: IsoDate): Promise<ResultWriter> {
    const spool = this.#at.spoolDir ?? tmpdir();
    const folder = await mkdtemp(join(spool, 'compute-results-'));
    const file = join(folder, 'results.ndjson');
    const out = createWriteStream(file);
    // A write that fails (the spool is full) is reported by the next append or the commit.
    let failed: Error | null = null;
    out.on('error', (error) => (failed ??= error));
    const explained = (error: unknown) => explainSpoolError(error as Error, spool, computation, date);
    let rows = 0;
    const cleanup = () => rm(folder, { recursive: true, force: true });
    return {
      append: async (results) => {
        try {
          for (const { entityId, result } of results) {
            if (failed !== null) throw failed;
            if (!out.write(`${JSON.stringify({ date, entity_id: entityId, result: JSON.stringify(result) })}\n`))
              await once(out, 'drain');
            rows++;
          }
        } catch (error) {
          throw explained(error);
        }
      },
      commit: async () => {
        try {
          if (failed !== null) throw failed;
          out.end();
          await once(out, 'finish');
        } catch (error) {
          await cleanup();
          throw explained(error);
        }
        try {
          await this.#ensureTable(computation);
          // Deleting one date's rows again deletes nothing more: the runner may retry it.
          if (rows === 0) await this.#jobs.run(bigqueryResultsDelete(this.#path(computation), date));
          else await this.#load(computation, date, file);
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

  async read(computation: string, date: IsoDate, entityIds?: readonly string[]): Promise<StoredResult[]> {
    if (entityIds !== undefined && entityIds.length === 0) return [];
    if (!(await this.#exists(computation))) return [];
    const rows = await this.#jobs.all(bigqueryResultsRead(this.#path(computation), date, entityIds));
    return rows.map((r) => ({ entityId: String(r.entity_id), result: JSON.parse(String(r.result)) as unknown }));
  }

  async *stream(computation: string, date: IsoDate): AsyncIterable<StoredResult[]> {
    if (!(await this.#exists(computation))) return;
    for await (const rows of this.#jobs.pages(bigqueryResultsRead(this.#path(computation), date))) {
      yield rows.map((r) => ({ entityId: String(r.entity_id), result: JSON.parse(String(r.result)) as unknown }));
    }
  }
}
