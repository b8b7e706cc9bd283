import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { BigQueryReadClient } from '@google-cloud/bigquery-storage';
import { recordBatchMessage, schemaMessage } from './arrow-wire.ts';
import type { Field } from './schema.ts';
import type { FakeBigQuery } from './server.ts';

const require = createRequire(import.meta.url);
const packageRoot = dirname(require.resolve('@google-cloud/bigquery-storage/package.json'));
/** google-gax's protos (google/api, google/protobuf), which the service's protos import. */
const gaxProtos = join(dirname(createRequire(join(packageRoot, 'package.json')).resolve('google-gax')), '..', 'protos');

/** One session: the rows its restriction selected when it was created (a snapshot), as record batch messages. */
interface Session {
  name: string;
  expired: boolean;
  batches: Array<{ message: Uint8Array; rows: number; first: number }>;
  fields: Field[];
  cells: unknown[][];
}

/** A failure of ReadRows after `afterRows` rows were sent on a stream, `times` times. */
export interface ReadFault {
  afterRows: number;
  code: grpc.status;
  times: number;
}

/** Rows per record batch the stand-in sends (BigQuery sends batches of a few thousand rows). */
const BATCH_ROWS = 1024;

/** The schema message's length per session, so each batch message is cut out of its IPC stream without encoding the schema again. */
const heads = new WeakMap<Session, number>();

/**
 * A local stand-in for the BigQuery Storage Read API at the wire: a real
 * gRPC server (on 127.0.0.1) implementing BigQueryRead's CreateReadSession
 * (table, selected fields, row restriction, Arrow) and ReadRows (from an
 * offset), over the DuckDB tables of the REST fake, so the official
 * client's encoding, streaming and errors run in the tests. Faults:
 * sessions can be expired, and ReadRows can fail after some rows.
 */
export class FakeStorageRead {
  readonly sessions = new Map<string, Session>();
  readonly faults: ReadFault[] = [];
  /** Sessions still to be created already expired (as one created hours before its first read would be). */
  expireOnCreate = 0;
  /** ReadRows calls received, with the offset each asked for. */
  readonly reads: Array<{ stream: string; offset: number }> = [];
  readonly #fake: FakeBigQuery;
  readonly #server: grpc.Server;
  #port = 0;

  private constructor(fake: FakeBigQuery) {
    this.#fake = fake;
    this.#server = new grpc.Server();
  }

  static async start(fake: FakeBigQuery): Promise<FakeStorageRead> {
    const stand = new FakeStorageRead(fake);
    const definition = protoLoader.loadSync('google/cloud/bigquery/storage/v1/storage.proto', {
      includeDirs: [join(packageRoot, 'build/protos'), gaxProtos],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: { cloud: { bigquery: { storage: { v1: { BigQueryRead: { service: grpc.ServiceDefinition } } } } } };
    };
    stand.#server.addService(loaded.google.cloud.bigquery.storage.v1.BigQueryRead.service, {
      createReadSession: (call: grpc.ServerUnaryCall<CreateRequest, unknown>, done: grpc.sendUnaryData<unknown>) =>
        void stand.#createSession(call.request).then(
          (session) => done(null, session),
          (error: grpc.ServiceError) => done(error),
        ),
      readRows: (call: grpc.ServerWritableStream<{ readStream: string; offset: string }, unknown>) =>
        stand.#readRows(call),
      splitReadStream: (_call: unknown, done: grpc.sendUnaryData<unknown>) =>
        done({
          code: grpc.status.UNIMPLEMENTED,
          details: 'SplitReadStream is not in the stand-in',
        }),
    });
    stand.#port = await new Promise<number>((resolve, reject) =>
      stand.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error === null ? resolve(port) : reject(error),
      ),
    );
    return stand;
  }

  /** The official client, pointed at this stand-in over plaintext gRPC. */
  client(): BigQueryReadClient {
    return new BigQueryReadClient({
      apiEndpoint: '127.0.0.1',
      port: this.#port,
      sslCreds: grpc.credentials.createInsecure(),
      projectId: this.#fake.projectId,
      authClient: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer fake-token' }) } as never,
    });
  }

  get endpoint(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Expires every session created so far: their streams answer as BigQuery does past a session's lifetime. */
  expireAll(): void {
    for (const session of this.sessions.values()) session.expired = true;
  }

  async close(): Promise<void> {
    this.#server.forceShutdown();
  }

  async #createSession(request: CreateRequest): Promise<unknown> {
    const table = /^projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(request.readSession?.table ?? '');
    const fail = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });
    if (table === null) throw fail(grpc.status.INVALID_ARGUMENT, `Invalid table name: ${request.readSession?.table}`);
    const [, project, dataset, name] = table as unknown as [string, string, string, string];
    const options = request.readSession?.readOptions ?? {};
    const read =
      project === this.#fake.projectId
        ? await this.#fake.cells(dataset, name, options.selectedFields ?? [], options.rowRestriction ?? '')
        : null;
    if (read === null)
      throw fail(grpc.status.NOT_FOUND, `Not found: Table ${project}:${dataset}.${name} was not found`);
    const id = randomUUID();
    const sessionName = `projects/${project}/locations/us/sessions/${id}`;
    const batches: Session['batches'] = [];
    const schema = schemaMessage(read.fields);
    for (let first = 0; first < read.rows.length; first += BATCH_ROWS) {
      const rows = read.rows.slice(first, first + BATCH_ROWS);
      batches.push({ message: recordBatchMessage(read.fields, rows, schema.length), rows: rows.length, first });
    }
    const expired = this.expireOnCreate > 0;
    if (expired) this.expireOnCreate--;
    const session: Session = { name: sessionName, expired, batches, fields: read.fields, cells: read.rows };
    heads.set(session, schema.length);
    this.sessions.set(`${sessionName}/streams/0`, session);
    const expire = Math.floor(Date.now() / 1000) + 6 * 3600;
    return {
      name: sessionName,
      expireTime: { seconds: String(expire), nanos: 0 },
      dataFormat: 'ARROW',
      arrowSchema: { serializedSchema: Buffer.from(schema) },
      table: request.readSession!.table,
      readOptions: options,
      // BigQuery answers no stream when the restriction selects nothing.
      streams: read.rows.length === 0 ? [] : [{ name: `${sessionName}/streams/0` }],
      estimatedRowCount: String(read.rows.length),
    };
  }

  #readRows(call: grpc.ServerWritableStream<{ readStream: string; offset: string }, unknown>): void {
    const { readStream } = call.request;
    const offset = Number(call.request.offset);
    this.reads.push({ stream: readStream, offset });
    const session = this.sessions.get(readStream);
    if (session === undefined) {
      call.emit(
        'error',
        Object.assign(new Error('no stream'), {
          code: grpc.status.NOT_FOUND,
          details: `Not found: stream ${readStream}`,
        }),
      );
      return;
    }
    if (session.expired) {
      call.emit(
        'error',
        Object.assign(new Error('expired'), {
          code: grpc.status.FAILED_PRECONDITION,
          details: `there was an error operating on '${readStream}': session expired at ${new Date().toISOString()}`,
        }),
      );
      return;
    }
    const fault = this.faults.find((f) => f.times > 0);
    let sent = 0;
    let position = offset;
    // A resumed read starts inside a batch: the rest of that batch is cut out and sent as a batch of its own.
    while (position < session.cells.length) {
      const batch = session.batches.find((b) => position >= b.first && position < b.first + b.rows)!;
      const message =
        position === batch.first
          ? batch.message
          : recordBatchMessage(
              session.fields,
              session.cells.slice(position, batch.first + batch.rows),
              heads.get(session),
            );
      const rows = batch.first + batch.rows - position;
      if (fault !== undefined && sent + rows > fault.afterRows) {
        fault.times--;
        call.emit(
          'error',
          Object.assign(new Error('cut'), { code: fault.code, details: 'Connection reset by the stand-in' }),
        );
        return;
      }
      call.write({
        arrowRecordBatch: { serializedRecordBatch: Buffer.from(message), rowCount: String(rows) },
        rowCount: String(rows),
        stats: {
          progress: {
            atResponseStart: position / session.cells.length,
            atResponseEnd: (position + rows) / session.cells.length,
          },
        },
      });
      sent += rows;
      position += rows;
    }
    call.end();
  }
}

interface CreateRequest {
  parent?: string;
  maxStreamCount?: number;
  readSession?: {
    table?: string;
    dataFormat?: string;
    readOptions?: { selectedFields?: string[]; rowRestriction?: string };
  };
}

/**
 * A project's `warehouse` config on the REST fake (dataset 'facts'),
 * results in `results`; with `stand`, sharded reads through it (scratch
 * dataset 'scratch', every window large enough).
 */
export function standInWarehouse(
  fake: FakeBigQuery,
  results: string,
  stand?: FakeStorageRead,
): Record<string, unknown> {
  return {
    type: 'bigquery',
    projectId: fake.projectId,
    dataset: 'facts',
    resultsDataset: results,
    location: 'US',
    apiEndpoint: fake.endpoint,
    ...(stand === undefined
      ? {}
      : { shardedReads: { scratchDataset: 'scratch', minBytes: 0, storageEndpoint: stand.endpoint } }),
  };
}
