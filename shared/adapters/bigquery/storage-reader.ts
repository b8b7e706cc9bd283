import type { BigQueryReadClient } from '@google-cloud/bigquery-storage';
import { RecordBatchReader } from 'apache-arrow';
import type { Row } from '../../model/types.ts';
import { arrowRowReader } from './arrow-rows.ts';

/** One read of a table's rows through the Storage Read API. */
export interface StorageRead {
  projectId: string;
  dataset: string;
  table: string;
  /** Columns read, in the order rows carry them. */
  columns: readonly string[];
  /** A filter in the API's SQL-like syntax, e.g. '_compute_bucket >= 0 AND _compute_bucket < 512'. */
  restriction: string;
}

export interface StorageReaderOptions {
  /** Project billed for the read session (the workers' own). */
  billingProject: string;
  /** Reopenings of a stream that failed mid-read, resumed at the offset reached. (Default: 5) */
  resumes?: number;
  /** New sessions after one expired mid-read, each reading from the start. (Default: 2) */
  sessions?: number;
  /** Milliseconds before the first reopening, doubled each time. (Default: 200) */
  backoffMs?: number;
}

/** gRPC codes after which a stream is opened again at the offset it reached (as the client's own ReadStream does). */
const RESUMABLE = new Set([1, 4, 10, 13, 14]); // CANCELLED, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNAVAILABLE

interface GrpcError {
  code?: number;
  details?: string;
  message?: string;
}

/** A session past its lifetime (about 6 hours) is answered with FAILED_PRECONDITION or NOT_FOUND naming the expiry. */
function expired(error: GrpcError): boolean {
  return (error.code === 9 || error.code === 5) && /expired/i.test(error.details ?? error.message ?? '');
}

class SessionExpired extends Error {}

interface ReadRowsResponse {
  rowCount?: number | string | { toString(): string };
  arrowRecordBatch?: { serializedRecordBatch?: Uint8Array };
}

/**
 * Reads rows of a table through the BigQuery Storage Read API with the
 * official client: one session with one stream (a shard is one batch's
 * rows), Arrow record batches decoded to portable rows. A stream that
 * fails mid-read is opened again at the row offset it reached, so no row
 * is read twice; a session that expires is replaced and read from the
 * start (the rows read so far are dropped), so none is lost either.
 */
export class StorageReader {
  readonly #client: BigQueryReadClient;
  readonly #options: Required<StorageReaderOptions>;

  constructor(client: BigQueryReadClient, options: StorageReaderOptions) {
    this.#client = client;
    this.#options = { resumes: 5, sessions: 2, backoffMs: 200, ...options };
  }

  /** Every row the read selects. */
  async readAll(read: StorageRead): Promise<Row[]> {
    for (let session = 0; ; session++) {
      try {
        return await this.#readSession(read);
      } catch (error) {
        if (!(error instanceof SessionExpired) || session >= this.#options.sessions) throw unwrap(error, read);
      }
    }
  }

  async #readSession(read: StorageRead): Promise<Row[]> {
    const [session] = await this.#client.createReadSession({
      parent: `projects/${this.#options.billingProject}`,
      readSession: {
        table: `projects/${read.projectId}/datasets/${read.dataset}/tables/${read.table}`,
        dataFormat: 'ARROW',
        readOptions: { selectedFields: [...read.columns], rowRestriction: read.restriction },
      },
      maxStreamCount: 1,
    });
    const stream = session.streams?.[0]?.name;
    const schema = session.arrowSchema?.serializedSchema;
    // No stream: the restriction selects no rows.
    if (stream == null || schema == null) return [];
    const rows: Row[] = [];
    const bytes = this.#messages(stream, schema as Uint8Array);
    let convert: ((batch: Parameters<ReturnType<typeof arrowRowReader>>[0]) => Row[]) | null = null;
    for await (const batch of await RecordBatchReader.from(bytes)) {
      convert ??= arrowRowReader(batch.schema, read.columns);
      for (const row of convert(batch)) rows.push(row);
    }
    return rows;
  }

  /** The Arrow IPC stream: the session's schema, then each record batch, across reopenings of the stream. */
  async *#messages(stream: string, schema: Uint8Array): AsyncIterable<Uint8Array> {
    yield schema;
    let offset = 0;
    let failures = 0;
    for (;;) {
      try {
        // The client's own retry of a stream with no response yet backs off for seconds; this loop resumes instead.
        const responses = this.#client.readRows(
          { readStream: stream, offset },
          { retryRequestOptions: { retries: 0, noResponseRetries: 0 } },
        ) as AsyncIterable<ReadRowsResponse>;
        for await (const response of responses) {
          const batch = response.arrowRecordBatch?.serializedRecordBatch;
          if (batch == null || batch.length === 0) continue;
          yield batch;
          offset += Number(String(response.rowCount ?? 0));
        }
        return;
      } catch (error) {
        const e = error as GrpcError;
        if (expired(e)) throw new SessionExpired(e.details ?? e.message);
        if (e.code === undefined || !RESUMABLE.has(e.code) || ++failures > this.#options.resumes) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#options.backoffMs * 2 ** (failures - 1)));
      }
    }
  }
}

/** An error naming the table read, with the API's own words as its cause. */
function unwrap(error: unknown, read: StorageRead): Error {
  const e = error as GrpcError;
  const what = e.details ?? e.message ?? String(error);
  return new Error(
    `Storage Read API read of ${read.projectId}.${read.dataset}.${read.table} (${read.restriction}) failed: ${what}`,
    { cause: error },
  );
}
