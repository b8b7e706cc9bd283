import { printable } from '../../shared/util/safe-text.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { Manifest } from '../../shared/manifest/manifest.ts';
import type { CheckOutcome } from '../../shared/checks/run-checks.ts';
import { STATUS_ICONS } from '../../shared/model/statuses.ts';
import type { ComputationState, StateStore } from '../../shared/ports/state-store.ts';
import { holderGone } from '../../shared/state/leases.ts';
import { shownStatus } from '../../shared/plan/decide.ts';
import { settingsFor } from '../../shared/runtime/ports.ts';
import { dateFlag } from '../args.ts';
import { UsageError } from '../../shared/errors.ts';
import { gridReport } from '../../shared/reports/history.ts';
import { formatGrid } from '../../shared/reports/grid-text.ts';
import { daysBetween } from '../../shared/model/dates.ts';
import type { CommandInput } from '../command.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';

interface StatusRow {
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

export const statusCommand: Command = {
  name: 'status',
  summary: 'status and result hash of every computation (for --date, or its latest date), and recent runs',
  flags: {
    date: { type: 'string', description: "date YYYY-MM-DD (default: each computation's latest)" },
    from: { type: 'string', description: 'first date of a range: every computation on every date, as a grid' },
    to: { type: 'string', description: 'last date of the range (default: --from)' },
  },
  async run(input) {
    if (input.flags.from !== undefined || input.flags.to !== undefined) return statusRange(input);
    const date = dateFlag(input.flags, 'date');
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const { state: store, close } = await openPorts(project, 'state', { env: input.io.env });
    try {
      const { computations: rows, runs } = await statusReport(manifest, store, date, new Date());
      if (input.flags.json === true) {
        printJson(input, { date: date ?? null, computations: rows, runs });
        return 0;
      }
      const lines = rows.map((r) => {
        const icon = STATUS_ICONS[r.status] ?? ' ';
        // Stored texts hold user values (entity ids, error messages): printed without control characters.
        const detail = printable(r.error ?? r.reason ?? '');
        const stale = r.stale ? '  (its holder is gone: compute sweep, or the next run, takes it over)' : '';
        return `  ${icon} ${r.name.padEnd(28)} ${(r.date ?? '-').padEnd(11)} ${r.status.padEnd(10)} ${r.resultHash?.slice(0, 12) ?? '-'.padEnd(12)}  ${detail}${stale}`;
      });
      input.io.stdout(
        `${date === undefined ? 'Latest state per computation' : `State on ${date}`}:\n${lines.join('\n')}\n`,
      );
      if (runs.length > 0) {
        input.io.stdout(
          `\nRecent runs:\n${runs.map((r) => `  ${printable(r.runId)}  ${r.status.padEnd(9)} ${r.dates[0]}${r.dates.length > 1 ? `..${r.dates[r.dates.length - 1]}` : ''}  started ${r.startedAt}`).join('\n')}\n`,
        );
      }
      return 0;
    } finally {
      await close();
    }
  },
};

/** `compute status --from D --to D2`: every computation on every date, from one range read of the state. */
async function statusRange(input: CommandInput): Promise<number> {
  if (input.flags.date !== undefined) throw new UsageError('Give either --date or --from/--to, not both');
  const from = dateFlag(input.flags, 'from');
  if (from === undefined) throw new UsageError('--to needs --from, e.g. --from 2026-01-01 --to 2026-01-31');
  const to = dateFlag(input.flags, 'to') ?? from;
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  const project = await loadProject(input);
  const manifest = await requireManifest(project);
  const span = daysBetween(from, to) + 1;
  if (span > project.maxRunDays)
    throw new UsageError(
      `--from ${from} --to ${to} spans ${span} dates; one request may span at most ${project.maxRunDays} (maxRunDays)`,
    );
  const { state: store, close } = await openPorts(project, 'state', { env: input.io.env });
  try {
    const grid = await gridReport(manifest, store, from, to);
    if (input.flags.json === true) {
      printJson(input, grid);
      return 0;
    }
    // Each page of the grid names its own dates.
    input.io.stdout(`State:\n${formatGrid(grid, 80)}`);
    return 0;
  } finally {
    await close();
  }
}
