import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ApiFailure, type FakeJob } from './jobs.ts';
import type { Field } from './schema.ts';
import type { FakeCatalog } from './catalog.ts';

/** What a load job uses of the fake server (declared here so that server.ts and this file do not import each other). */
export interface LoadHost {
  readonly projectId: string;
  readonly catalog: FakeCatalog;
  readonly loadsPerTable: Map<string, number>;
  locate(asked: string | undefined, datasets: string[]): string;
  record(job: FakeJob): void;
  fault(on: 'upload', subject: string): { reason: string; message?: string } | undefined;
  jobResource(job: FakeJob): Record<string, unknown>;
}

interface LoadConfiguration {
  destinationTable: { projectId: string; datasetId: string; tableId: string };
  sourceFormat?: string;
  writeDisposition?: 'WRITE_TRUNCATE' | 'WRITE_APPEND' | 'WRITE_EMPTY';
  schema?: { fields: Field[] };
}

/** The two parts of a multipart/related upload: the job (JSON) and the data. */
function parseMultipart(raw: Buffer, contentType: string): { metadata: Record<string, unknown>; data: string } {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (boundary === undefined) throw new ApiFailure(400, 'invalid', 'Upload without a multipart boundary');
  const parts = raw
    .toString('utf8')
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, ''));
  if (parts.length !== 2) throw new ApiFailure(400, 'invalid', `Upload has ${parts.length} parts, expected 2`);
  return { metadata: JSON.parse(parts[0]!) as Record<string, unknown>, data: parts[1]! };
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A load job from a multipart upload (NEWLINE_DELIMITED_JSON). A `$YYYYMMDD`
 * decorator targets one partition: every row must belong to it, and
 * WRITE_TRUNCATE replaces that partition only, atomically.
 */
export async function runLoad(
  fake: LoadHost,
  db: DuckDBConnection,
  raw: Buffer,
  contentType: string,
  query: Record<string, string>,
): Promise<unknown> {
  if (query.uploadType !== 'multipart') throw new ApiFailure(400, 'invalid', 'The fake takes multipart uploads only');
  const { metadata, data } = parseMultipart(raw, contentType);
  const configuration = metadata.configuration as { load?: LoadConfiguration };
  const load = configuration.load;
  if (load === undefined) throw new ApiFailure(400, 'invalid', 'An upload must carry configuration.load');
  const asked = (metadata.jobReference as { location?: string; jobId?: string } | undefined) ?? {};
  const { datasetId, tableId } = load.destinationTable;
  const [table, decorator] = tableId.split('$') as [string, string | undefined];
  if (!fake.catalog.hasDataset(datasetId))
    throw new ApiFailure(404, 'notFound', `Not found: Dataset ${fake.projectId}:${datasetId}`);
  const location = fake.locate(asked.location, [datasetId]);
  const job: FakeJob = {
    reference: { projectId: fake.projectId, jobId: asked.jobId ?? randomUUID(), location },
    configuration: configuration,
    status: { state: 'DONE' },
    statistics: { creationTime: String(Date.now()) },
    params: {},
  };
  fake.record(job);
  const day = decorator === undefined ? 'table' : decorator;
  const key = `${datasetId}.${table}@${day}`;
  fake.loadsPerTable.set(key, (fake.loadsPerTable.get(key) ?? 0) + 1);
  const fault = fake.fault('upload', tableId);
  try {
    if (fault !== undefined) throw new ApiFailure(400, fault.reason, fault.message ?? fault.reason);
    if (load.sourceFormat !== 'NEWLINE_DELIMITED_JSON')
      throw new ApiFailure(400, 'invalid', `The fake loads NEWLINE_DELIMITED_JSON only, not ${load.sourceFormat}`);
    if (!fake.catalog.hasTable(datasetId, table))
      throw new ApiFailure(404, 'notFound', `Not found: Table ${fake.projectId}:${datasetId}.${table}`);
    const meta = fake.catalog.meta(datasetId, table)!;
    const rows = data
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const field = meta.timePartitioning?.field;
    const date =
      decorator === undefined ? '' : `${decorator.slice(0, 4)}-${decorator.slice(4, 6)}-${decorator.slice(6, 8)}`;
    if (decorator !== undefined) {
      if (field === undefined) throw new ApiFailure(400, 'invalid', `Table ${table} is not partitioned by a column`);
      if (rows.some((row) => row[field] !== date))
        throw new ApiFailure(
          400,
          'invalid',
          `Some rows belong to different partitions rather than destination partition ${decorator}`,
        );
    }
    await db.run('BEGIN TRANSACTION');
    try {
      if (load.writeDisposition === 'WRITE_TRUNCATE') {
        const where = decorator === undefined ? '' : ` WHERE ${q(field!)} = CAST('${date}' AS DATE)`;
        await db.run(`DELETE FROM ${q(datasetId)}.${q(table)}${where}`);
      }
      await fake.catalog.insertRows(datasetId, table, rows);
      await db.run('COMMIT');
    } catch (error) {
      await db.run('ROLLBACK');
      throw new ApiFailure(400, 'invalid', (error as Error).message);
    }
    job.statistics = { ...job.statistics, load: { outputRows: String(rows.length) } };
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    // A load fails as a job: the upload answers, and jobs.get shows the error.
    job.status.errorResult = { reason: error.reason, message: error.message };
  }
  return fake.jobResource(job);
}
