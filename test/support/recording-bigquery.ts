import { readFileSync } from 'node:fs';
import type { BigQueryLike, DatasetLike, QueryJobLike, TableLike } from '../../shared/adapters/bigquery/client.ts';

/**
 * A stand-in for the BigQuery client (no emulator exists): records every
 * request and answers queries from a script of pages. Only for checking
 * the requests our adapters build; behaviour is proven live when
 * COMPUTE_TEST_BIGQUERY_PROJECT is set.
 */
export class RecordingBigQuery implements BigQueryLike {
  readonly jobs: Array<Record<string, unknown>> = [];
  readonly pageRequests: Array<Record<string, unknown>> = [];
  readonly loads: Array<{ dataset: string; table: string; lines: string[]; metadata: Record<string, unknown> }> = [];
  readonly createdTables: Array<{ dataset: string; name: string; options: Record<string, unknown> }> = [];
  existingTables = new Set<string>();
  /** Pages answered to the next query jobs, in order; each job gets one list of pages. */
  answers: Array<Array<Array<Record<string, unknown>>>> = [];
  dryRunStatistics: Record<string, string> = { totalBytesProcessed: '0', totalBytesProcessedAccuracy: 'PRECISE' };

  async createQueryJob(options: Record<string, unknown>): Promise<[QueryJobLike]> {
    this.jobs.push(options);
    if (options.dryRun === true)
      return [
        {
          metadata: { statistics: this.dryRunStatistics },
          getQueryResults: () => Promise.reject(new Error('dry run has no rows')),
        },
      ];
    const pages = this.answers.shift() ?? [[]];
    const job: QueryJobLike = {
      metadata: {},
      getQueryResults: async (request) => {
        this.pageRequests.push(request);
        const index = typeof request.pageToken === 'string' ? Number(request.pageToken) : 0;
        const next = index + 1 < pages.length ? { pageToken: String(index + 1) } : null;
        return [structuredClone(pages[index] ?? []), next];
      },
    };
    return [job];
  }

  dataset(name: string): DatasetLike {
    const table = (tableName: string): TableLike => ({
      exists: async () => [this.existingTables.has(`${name}.${tableName}`)],
      load: async (source, metadata) => {
        this.loads.push({
          dataset: name,
          table: tableName,
          lines: readFileSync(source, 'utf8').trim().split('\n'),
          metadata,
        });
        return [{}];
      },
    });
    return {
      table,
      createTable: async (tableName, options) => {
        this.createdTables.push({ dataset: name, name: tableName, options });
        this.existingTables.add(`${name}.${tableName}`);
        return [{}];
      },
    };
  }
}
