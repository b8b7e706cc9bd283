import type { ManifestEntry } from './manifest.ts';
import type { IsoDate } from '../model/types.ts';

/**
 * One computation on one date in one run: what the executor decides, leases,
 * runs, writes the state of and announces. Passed whole, so the three never
 * travel as loose positional arguments (a fan-out is one, with its attempt
 * and lease: executor/fan-out.ts).
 */
export interface WorkItem {
  runId: string;
  entry: ManifestEntry;
  date: IsoDate;
}
