import type { CheckOutcome } from '../checks/run-checks.ts';
import type { Manifest } from '../manifest/manifest.ts';
import { shownStatus } from '../plan/decide.ts';
import type { ComputationState, StateStore } from '../ports/state-store.ts';
import { settingsFor } from '../runtime/service-ports.ts';
import { holderGone } from '../state/leases.ts';

/** One computation in the status report. */
export interface StatusRow {
  name: string;
  date: string | null;
  status: string;
  resultHash: string | null;
  compositeHash: string | null;
  updatedAt: string | null;
  error: string | null;
  reason: string | null;
  /** Its result checks' last outcomes (issue 22); null when it has none or none ran. */
  checks: CheckOutcome[] | null;
  /** A 'running' state whose holder is gone (no heartbeat within the staleness, or its process on this host died): the watchdog takes it over. */
  stale: boolean;
  /** Entity counts of its last run (planned, succeeded, failed, stored), when it ran. */
  counts: ComputationState['counts'];
  /** Partial or failed: a bounded sample of the failed entities with their errors. */
  failedEntities: Array<{ entityId: string; error: string }>;
}

async function row(
  store: StateStore,
  name: string,
  state: ComputationState | undefined,
  now: Date,
  leaseStaleMs: number,
): Promise<StatusRow> {
  let stale = false;
  if (state?.status === 'running') {
    const lease = await store.leases.get({ computation: name, date: state.date });
    stale = lease === null || holderGone(lease, leaseStaleMs, now) !== null;
  }
  return {
    name,
    date: state?.date ?? null,
    status: state === undefined ? 'pending' : shownStatus(state),
    resultHash: state?.resultHash ?? null,
    compositeHash: state?.compositeHash ?? null,
    updatedAt: state?.updatedAt ?? null,
    error: state?.error ?? null,
    reason: state?.reason ?? null,
    checks: state?.checks?.outcomes ?? null,
    stale,
    counts: state?.counts ?? null,
    failedEntities: state?.failures ?? [],
  };
}

/** Every computation's state (on a date, or its latest) and the recent runs: for the CLI and the management API. */
export async function statusReport(manifest: Manifest, store: StateStore, date: string | undefined, now: Date) {
  const states = await store.states.list(date);
  const latest = new Map<string, ComputationState>();
  for (const state of states) latest.set(state.computation, state);
  const { leaseStaleMs } = settingsFor(manifest.project.execution, '');
  const computations = await Promise.all(
    manifest.computations.map((entry) => row(store, entry.name, latest.get(entry.name), now, leaseStaleMs)),
  );
  const runs = (await store.runs.list(5)).map(
    ({ runId, dates, trigger, status, startedAt, finishedAt, computations: names, force, error }) => ({
      runId,
      dates,
      trigger,
      status,
      startedAt,
      finishedAt,
      computations: names,
      force,
      error: error ?? null,
    }),
  );
  return { date: date ?? null, computations, runs };
}
