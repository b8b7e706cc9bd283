import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BigQuery } from '@google-cloud/bigquery';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { FakeCatalog, type TableMeta } from './catalog.ts';
import { ApiFailure, decodeParameters, runQuery, type FakeJob, type JobReference } from './jobs.ts';
import { runLoad } from './load.ts';
import { parseType, type Field } from './schema.ts';
import { cell } from './wire.ts';

/** One request as the fake received it. */
export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** A failure to answer instead of the normal reply, `times` times, to requests it matches. */
export interface Fault {
  /** Where: a query job's insert or its results, a load job, or the upload's connection (cut half-way). */
  on: 'insert' | 'results' | 'upload' | 'interrupt-upload';
  /** Matches the query text (insert, results) or the destination table id (upload). */
  match?: RegExp;
  /** The error reason: backendError, rateLimitExceeded, ... */
  reason: string;
  message?: string;
  times?: number;
}

export interface FakeTable {
  /** GoogleSQL column types, e.g. { date: 'DATE', tags: 'ARRAY<STRING>' }. */
  columns: Record<string, string>;
  rows?: Array<Record<string, unknown>>;
  timePartitioning?: TableMeta['timePartitioning'];
  requirePartitionFilter?: boolean;
}

/**
 * A local fake of the BigQuery REST endpoints our adapters use, on
 * 127.0.0.1, for a real @google-cloud/bigquery client: jobs.insert (query,
 * dry run), jobs.getQueryResults (paged), jobs.get, tables.get/insert/
 * delete, and the multipart load upload. Queries run in an in-memory DuckDB
 * after translation; rows are answered as typed f/v cells built from the
 * BigQuery schema, so the client's own encoding, paging, retries and value
 * decoding are what the tests exercise.
 */
export class FakeBigQuery {
  readonly projectId: string;
  readonly received: Received[] = [];
  readonly jobs = new Map<string, FakeJob>();
  readonly faults: Fault[] = [];
  /** Accuracy a dry run reports in statistics.query. (Default: 'PRECISE') */
  dryRunAccuracy: 'PRECISE' | 'UPPER_BOUND' | 'LOWER_BOUND' | 'UNKNOWN' = 'PRECISE';
  /** Rows per result page at most, as the 10 MB response cap would cut them. (Default: no cap) */
  pageRowsCap = Number.POSITIVE_INFINITY;
  /** A SELECT with more rows than this and no destination table fails with responseTooLarge. */
  responseRowsLimit = Number.POSITIVE_INFINITY;
  /** How long each load upload waits before it is answered (a slow load job). (Default: 0) */
  uploadDelayMs = 0;
  /** Load jobs per destination table (without partition decorator) and partition date. */
  readonly loadsPerTable = new Map<string, number>();
  catalog!: FakeCatalog;
  #server!: Server;
  #instance!: DuckDBInstance;
  #db!: DuckDBConnection;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(projectId: string) {
    this.projectId = projectId;
  }

  static async start(projectId = 'acme-prod'): Promise<FakeBigQuery> {
    const fake = new FakeBigQuery(projectId);
    fake.#instance = await DuckDBInstance.create(':memory:');
    fake.#db = await fake.#instance.connect();
    await fake.#db.run("SET TimeZone = 'UTC'");
    fake.catalog = new FakeCatalog(projectId, fake.#db);
    await fake.catalog.init();
    fake.#server = createServer((req, res) => void fake.#handle(req, res));
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A real client talking to this fake; retries back off for milliseconds, not seconds. */
  client(options: { location?: string } = {}): BigQuery {
    return new BigQuery({
      projectId: this.projectId,
      apiEndpoint: this.endpoint,
      ...options,
      authClient: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer fake-token' }) } as never,
      retryOptions: { maxRetryDelay: 0.005, retryDelayMultiplier: 1, totalTimeout: 30, maxRetries: 3 },
    });
  }

  async dataset(name: string, location = 'US'): Promise<void> {
    await this.catalog.createDataset(name, location);
  }

  async table(dataset: string, name: string, table: FakeTable): Promise<void> {
    const fields: Field[] = Object.entries(table.columns).map(([column, type]) => parseType(column, type));
    await this.catalog.createTable(dataset, name, {
      fields,
      ...(table.timePartitioning === undefined ? {} : { timePartitioning: table.timePartitioning }),
      ...(table.requirePartitionFilter === undefined ? {} : { requirePartitionFilter: table.requirePartitionFilter }),
    });
    if (table.rows !== undefined) await this.catalog.insertRows(dataset, name, table.rows);
  }

  /** Rows of a table, read straight from DuckDB (for assertions). */
  async rows(dataset: string, table: string, orderBy = '1'): Promise<unknown[][]> {
    const reader = await this.#db.runAndReadAll(`SELECT * FROM "${dataset}"."${table}" ORDER BY ${orderBy}`);
    return reader.getRowsJson();
  }

  /**
   * Changes a table's rows behind the API, as an upstream writer would (a
   * late row, a correction): DuckDB SQL over `"dataset"."table"`. Partitions
   * whose rows change get a new last_modified_time in INFORMATION_SCHEMA.PARTITIONS.
   */
  async modify(sql: string): Promise<void> {
    await this.#db.run(sql);
  }

  /**
   * Rows of a table as REST wire cells (TIMESTAMP as int64 microseconds),
   * the selected columns in table order (as the Storage Read API answers),
   * filtered by a row restriction (plain SQL over the columns). null when
   * there is no such table.
   */
  async cells(
    dataset: string,
    table: string,
    selected: readonly string[],
    restriction: string,
  ): Promise<{ fields: Field[]; rows: unknown[][] } | null> {
    const meta = this.catalog.meta(dataset, table);
    if (meta === undefined) return null;
    const fields = selected.length === 0 ? meta.fields : meta.fields.filter((f) => selected.includes(f.name));
    const where = restriction.trim() === '' ? '' : ` WHERE ${restriction.replaceAll('`', '"')}`;
    const sql = `SELECT ${fields.map((f) => `"${f.name}"`).join(', ')} FROM "${dataset}"."${table}"${where}`;
    const reader = await this.#serial(() => this.#db.runAndReadAll(sql));
    const options = { int64Timestamp: true };
    return { fields, rows: reader.getRows().map((row) => row.map((value, i) => cell(value, fields[i]!, options))) };
  }

  /** Query jobs received (dry runs included), in order. */
  get queryJobs(): FakeJob[] {
    return [...this.jobs.values()].filter((job) => 'query' in job.configuration);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#db.closeSync();
    this.#instance.closeSync();
  }

  #fault(on: Fault['on'], subject: string): Fault | undefined {
    const fault = this.faults.find((f) => f.on === on && (f.match === undefined || f.match.test(subject)));
    if (fault === undefined) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }

  /** One statement at a time: loads replace a partition inside a DuckDB transaction. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const cut = url.pathname.startsWith('/upload/') ? this.#fault('interrupt-upload', '') : undefined;
    const raw = await readBody(req, cut !== undefined);
    if (raw === null) return;
    if (url.pathname.startsWith('/upload/') && this.uploadDelayMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.uploadDelayMs));
    const json = req.headers['content-type']?.startsWith('application/json') === true;
    const body = json && raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : raw.length;
    this.received.push({ method: req.method!, path: url.pathname, query, body });
    try {
      // 'local-stand-in': what the composition root sends a plain-http endpoint (cli/wiring.ts).
      if (req.headers.authorization !== 'Bearer fake-token' && req.headers.authorization !== 'Bearer local-stand-in')
        throw new ApiFailure(401, 'unauthorized', 'Request is missing required authentication credential');
      const reply = await this.#route(req.method!, url.pathname, query, body, raw, req.headers['content-type'] ?? '');
      if (reply === null) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    } catch (error) {
      const failure =
        error instanceof ApiFailure ? error : new ApiFailure(500, 'internalError', (error as Error).message);
      const status = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS' };
      res.writeHead(failure.status, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            code: failure.status,
            message: failure.message,
            errors: [{ domain: 'global', reason: failure.reason, message: failure.message }],
            status: status[failure.status as keyof typeof status] ?? 'INTERNAL',
          },
        }),
      );
    }
  }

  async #route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    raw: Buffer,
    contentType: string,
  ): Promise<unknown> {
    const p = `/bigquery/v2/projects/${this.projectId}`;
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === `${p}/jobs`) return this.#serial(() => this.#insertJob(body as JobBody));
    if (method === 'POST' && path === `/upload${p}/jobs`)
      return this.#serial(() => runLoad(this, this.#db, raw, contentType, query));
    if (method === 'GET' && (m = new RegExp(`^${p}/queries/([^/]+)$`).exec(path)) !== null)
      return this.#results(this.#job(m[1]!, query.location), query);
    if (method === 'GET' && (m = new RegExp(`^${p}/jobs/([^/]+)$`).exec(path)) !== null)
      return this.jobResource(this.#job(m[1]!, query.location));
    if ((m = new RegExp(`^${p}/datasets/([^/]+)/tables(?:/([^/]+))?$`).exec(path)) !== null) {
      const dataset = decodeURIComponent(m[1]!);
      const table = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
      if (!this.catalog.hasDataset(dataset))
        throw new ApiFailure(404, 'notFound', `Not found: Dataset ${this.projectId}:${dataset}`);
      return this.#serial(() => this.#tables(method, dataset, table, body as { tableReference?: { tableId: string } }));
    }
    throw new ApiFailure(404, 'notFound', `The fake has no route for ${method} ${path}`);
  }

  async #tables(
    method: string,
    dataset: string,
    table: string | undefined,
    body: Record<string, unknown> & { tableReference?: { tableId: string } },
  ): Promise<unknown> {
    const missing = () => new ApiFailure(404, 'notFound', `Not found: Table ${this.projectId}:${dataset}.${table}`);
    if (method === 'GET' && table !== undefined) {
      if (!this.catalog.hasTable(dataset, table)) throw missing();
      return this.catalog.resource(dataset, table, await this.catalog.rowCount(dataset, table));
    }
    if (method === 'DELETE' && table !== undefined) {
      if (!this.catalog.hasTable(dataset, table)) throw missing();
      await this.catalog.dropTable(dataset, table);
      return null;
    }
    if (method === 'POST' && table === undefined) {
      const id = body.tableReference!.tableId;
      if (this.catalog.hasTable(dataset, id))
        throw new ApiFailure(409, 'duplicate', `Already Exists: Table ${this.projectId}:${dataset}.${id}`);
      const resource = body as {
        schema?: { fields?: Field[] };
        timePartitioning?: TableMeta['timePartitioning'];
        requirePartitionFilter?: boolean;
        clustering?: { fields: string[] };
        expirationTime?: string;
      };
      await this.catalog.createTable(dataset, id, {
        fields: resource.schema?.fields ?? [],
        ...(resource.timePartitioning === undefined ? {} : { timePartitioning: resource.timePartitioning }),
        ...(resource.requirePartitionFilter === undefined
          ? {}
          : { requirePartitionFilter: resource.requirePartitionFilter }),
        ...(resource.clustering === undefined ? {} : { clustering: resource.clustering }),
        ...(resource.expirationTime === undefined ? {} : { expirationTime: resource.expirationTime }),
      });
      return this.catalog.resource(dataset, id, 0);
    }
    throw new ApiFailure(400, 'invalid', `Unsupported table call ${method}`);
  }

  #job(jobId: string, location: string | undefined): FakeJob {
    const job = this.jobs.get(jobId);
    // BigQuery finds a job outside the US and EU multi-regions only when told its location.
    const findable =
      job !== undefined &&
      (location === undefined ? ['US', 'EU'].includes(job.reference.location) : location === job.reference.location);
    if (!findable) throw new ApiFailure(404, 'notFound', `Not found: Job ${this.projectId}:${jobId}`);
    return job;
  }

  /** The job's location: the one asked for, else the datasets'; a dataset elsewhere is not found. */
  locate(asked: string | undefined, datasets: string[]): string {
    const location = asked ?? (datasets.length > 0 ? this.catalog.datasets.get(datasets[0]!)!.location : 'US');
    for (const dataset of datasets) {
      if (this.catalog.datasets.get(dataset)!.location !== location)
        throw new ApiFailure(
          404,
          'notFound',
          `Not found: Dataset ${this.projectId}:${dataset} was not found in location ${location}`,
        );
    }
    return location;
  }

  jobResource(job: FakeJob): Record<string, unknown> {
    return {
      kind: 'bigquery#job',
      id: `${job.reference.projectId}:${job.reference.location}.${job.reference.jobId}`,
      jobReference: job.reference,
      configuration: job.configuration,
      status: job.status.errorResult === undefined ? job.status : { ...job.status, errors: [job.status.errorResult] },
      statistics: job.statistics,
    };
  }

  record(job: FakeJob): void {
    this.jobs.set(job.reference.jobId, job);
  }

  fault(on: Fault['on'], subject: string): Fault | undefined {
    return this.#fault(on, subject);
  }

  async #insertJob(body: JobBody): Promise<unknown> {
    const config = body.configuration ?? {};
    const q = config.query;
    if (q === undefined) throw new ApiFailure(400, 'invalid', 'The fake runs query jobs only through jobs.insert');
    const dryRun = config.dryRun === true;
    const params = decodeParameters(q.queryParameters);
    const destination = q.destinationTable === undefined ? undefined : q.destinationTable;
    const run = await runQuery(this.#db, this.catalog, q.query, params, dryRun, destination);
    const location = this.locate(body.jobReference?.location, run.datasets);
    const reference: JobReference = {
      projectId: this.projectId,
      jobId: body.jobReference?.jobId ?? randomUUID(),
      location,
    };
    const accuracy = dryRun ? this.dryRunAccuracy : 'PRECISE';
    const unknown = accuracy === 'UNKNOWN';
    const job: FakeJob = {
      reference,
      configuration: config,
      status: { state: 'DONE' },
      params,
      statistics: {
        creationTime: String(Date.now()),
        // An UNKNOWN estimate still carries a byte count (0): only the accuracy says it means nothing.
        totalBytesProcessed: unknown ? '0' : String(run.bytes),
        query: {
          statementType: run.statementType,
          totalBytesProcessed: unknown ? '0' : String(run.bytes),
          totalBytesProcessedAccuracy: accuracy,
          ...(run.affected === undefined ? {} : { numDmlAffectedRows: String(run.affected) }),
        },
      },
    };
    const fault = this.#fault('insert', q.query);
    const limit = q.maximumBytesBilled === undefined ? null : Number(q.maximumBytesBilled);
    if (fault !== undefined) job.status.errorResult = { reason: fault.reason, message: fault.message ?? fault.reason };
    else if (limit !== null && !dryRun && run.bytes > limit)
      job.status.errorResult = {
        reason: 'bytesBilledLimitExceeded',
        message: `Query exceeded limit for bytes billed: ${limit}. ${run.bytes} or higher required.`,
      };
    else if (
      run.result !== undefined &&
      run.result.rows.length > this.responseRowsLimit &&
      q.destinationTable === undefined
    )
      job.status.errorResult = {
        reason: 'responseTooLarge',
        message: 'Response too large to return. Consider specifying a destination table in your job configuration.',
      };
    if (!dryRun) {
      job.result = run.result;
      this.record(job);
    }
    return this.jobResource(job);
  }

  #results(job: FakeJob, query: Record<string, string>): unknown {
    if (job.status.errorResult !== undefined) {
      const { reason, message } = job.status.errorResult;
      throw new ApiFailure(reason === 'backendError' ? 500 : 400, reason, message);
    }
    const fault = this.#fault('results', String((job.configuration.query as { query?: string }).query));
    if (fault !== undefined) throw new ApiFailure(503, fault.reason, fault.message ?? fault.reason);
    const result = job.result ?? { fields: [], rows: [] };
    const start = query.pageToken === undefined ? Number(query.startIndex ?? 0) : Number(query.pageToken);
    const size = Math.min(query.maxResults === undefined ? Infinity : Number(query.maxResults), this.pageRowsCap);
    const end = Math.min(result.rows.length, start + size);
    const options = { int64Timestamp: query['formatOptions.useInt64Timestamp'] === 'true' };
    const rows = result.rows
      .slice(start, end)
      .map((row) => ({ f: row.map((value, i) => ({ v: cell(value, result.fields[i]!, options) })) }));
    return {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: job.reference,
      jobComplete: true,
      totalRows: String(result.rows.length),
      ...(job.result === undefined ? {} : { schema: { fields: result.fields } }),
      ...(rows.length === 0 ? {} : { rows }),
      ...(end < result.rows.length ? { pageToken: String(end) } : {}),
      cacheHit: false,
    };
  }
}

interface JobBody {
  jobReference?: { jobId?: string; location?: string };
  configuration?: {
    dryRun?: boolean;
    query?: {
      query: string;
      queryParameters?: Parameters<typeof decodeParameters>[0];
      maximumBytesBilled?: string;
      destinationTable?: { projectId: string; datasetId: string; tableId: string };
    };
  };
}

/** The request body; when `cut`, reads its first chunk and drops the connection (null). */
async function readBody(req: IncomingMessage, cut: boolean): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
    if (cut) {
      req.socket.destroy();
      return null;
    }
  }
  return Buffer.concat(chunks);
}
