import type { RetrySettings } from './retry.ts';

/**
 * Where the BigQuery adapters read and write. The adapters receive a
 * constructed `BigQuery` client (the composition root builds it); every
 * job they start carries the location in its job reference, so BigQuery
 * finds the job again in any region.
 */
export interface BigQueryLocation {
  projectId: string;
  /** Dataset of the source tables computations require. */
  dataset: string;
  /** Dataset for results tables. (Default: the same dataset) */
  resultsDataset?: string;
  /** Location of the source dataset, e.g. 'EU', 'asia-northeast1'. (Default: inferred by BigQuery) */
  location?: string;
  /** Location of the results dataset. (Default: `location`) */
  resultsLocation?: string;
  /** Refuse any query that would bill more bytes, results reads included. (Default: no limit) */
  maximumBytesBilled?: number;
  /**
   * Folder results are spooled to before their load job. On Cloud Run every
   * folder is memory: the Terraform module mounts a size-limited in-memory
   * volume here. (Default: the OS temp folder)
   */
  spoolDir?: string;
  /** Retries of failures a retry can fix. (Default: 5 retries from 1 s, doubling, up to 32 s apart) */
  retry?: RetrySettings;
}
