import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { executionSummary, formatSummary, type ExecutionSummary } from '../../../planner/summary.ts';
import { hasUsableResult, previousDate } from '../../plan/decide.ts';
import type { StateStore } from '../../ports/state-store.ts';
import { InProcessBus } from '../../adapters/inprocess/inprocess-bus.ts';
import { UsageError } from '../../errors.ts';
import { createLogger } from '../../logging/logger.ts';
import { requireManifest } from '../../manifest/build-manifest.ts';
import { requireComputation, type Manifest } from '../../manifest/manifest.ts';
import { dateRange } from '../../warehouse/dates.ts';
import { dateFlag, stringFlag, type Flags } from '../args.ts';
import { loadProject, printJson, type Command, type CommandInput } from '../command.ts';
import { ProgressDisplay } from '../progress.ts';
import { settleRun } from '../run-loop.ts';
import { openRuntime } from '../runtime.ts';

/** Longest date range one command may cover. */
const MAX_DATES = 3660;

export function datesFromFlags(flags: Flags): string[] {
  const from = dateFlag(flags, 'date', true);
  const to = dateFlag(flags, 'to') ?? from;
  if (to < from) throw new UsageError(`--to (${to}) is before --date (${from}); give the range earliest first`);
  const dates = dateRange(from, to);
  if (dates.length > MAX_DATES)
    throw new UsageError(`--date ${from} --to ${to} covers ${dates.length} dates; at most ${MAX_DATES} at once`);
  return dates;
}

/** --computation A or --computation A,B, checked against the manifest. */
export function computationsFromFlags(flags: Flags, manifest: Manifest): string[] | null {
  const value = stringFlag(flags, 'computation');
  if (value === undefined) return null;
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const name of names) requireComputation(manifest, name);
  return names;
}

export const RUN_FLAGS = {
  date: { type: 'string', description: 'date YYYY-MM-DD (required)' },
  to: { type: 'string', description: 'last date of a range (backfill), inclusive' },
  computation: { type: 'string', description: 'only these computations (comma-separated)' },
  force: { type: 'boolean', description: 'run even when the stored result is up to date' },
  verbose: { type: 'boolean', description: 'also print the JSON logs on stderr' },
  schedule: {
    type: 'string',
    description:
      'run as the scheduled run at HH:MM would: only computations scheduled then and due on the date (e.g. --date yesterday --schedule 02:00)',
  },
} as const;

/** --schedule HH:MM, for one date only. */
function scheduleFromFlags(flags: Flags, dates: string[]): string | null {
  const value = stringFlag(flags, 'schedule');
  if (value === undefined) return null;
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(value))
    throw new UsageError(`--schedule must be a time of day as HH:MM (UTC), e.g. 02:00; got '${value}'`);
  if (dates.length > 1) throw new UsageError('--schedule runs one date, as a scheduled run does: drop --to');
  return value;
}

/** Runs the manifest (or part of it) for dates in this process, over the in-process bus. */
export async function runInProcess(
  input: CommandInput,
  options: { force: boolean; computations?: string[] | null },
): Promise<number> {
  const dates = datesFromFlags(input.flags);
  const schedule = scheduleFromFlags(input.flags, dates);
  const project = await loadProject(input);
  const manifest = await requireManifest(project);
  const computations =
    options.computations !== undefined ? options.computations : computationsFromFlags(input.flags, manifest);
  const runId = `run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const logFolder = join(project.root, '.compute', 'logs');
  mkdirSync(logFolder, { recursive: true });
  const file = createWriteStream(join(logFolder, `${runId}.jsonl`));
  const verbose = input.flags.verbose === true;
  const logLine = (line: string) => {
    file.write(line);
    if (verbose) input.io.stderr(line);
  };
  const log = createLogger({ destination: { write: logLine } });
  const bus = new InProcessBus({ log });
  const progress = new ProgressDisplay(input.io, runId, {
    dates: dates.length,
    computationsPerDate: computations?.length ?? manifest.computations.length,
  });
  if (input.flags.json !== true) progress.attach(bus);
  const runtime = await openRuntime(manifest, { log, bus, useThreads: true, logLine, env: input.io.env });
  try {
    if (input.flags.json !== true)
      input.io.stderr(
        `Run ${runId}: ${dates[0]}${dates.length > 1 ? ` to ${dates[dates.length - 1]}` : ''}, ${computations === null ? 'all computations' : computations.join(', ')}${options.force ? ', forced' : ''}\n`,
      );
    await bus.publish({
      v: 1,
      type: 'run.requested',
      runId,
      dates,
      computations,
      force: options.force,
      trigger: 'cli',
      ...(schedule === null ? {} : { schedule }),
    });
    const run = await settleRun(runtime, bus, runId);
    progress.finish();
    if (run === null || run.status === 'running') {
      const dead = bus.deadLetters.map((d) => `${d.event.type}: ${d.error}`).join('\n  ');
      throw new Error(
        `Run ${runId} stopped before it completed.${dead === '' ? '' : `\n  ${dead}`}\nLogs: ${join(logFolder, `${runId}.jsonl`)}`,
      );
    }
    const summary = await executionSummary(manifest, runtime.ports.state, run, new Date());
    const notes = await historicalStarts(manifest, runtime.ports.state, summary);
    if (input.flags.json === true) {
      printJson(input, {
        runId,
        status: summary.status,
        computations: summary.computations.map((r) => ({
          name: r.name,
          date: r.date,
          status: r.status,
          resultHash: r.resultHash,
          entities: r.entities,
          durationMs: r.durationMs,
          detail: r.detail,
          outcome: r.outcome,
        })),
        resume: summary.resume === null ? null : `${summary.resume} --project ${project.root}`,
        notes,
      });
    } else {
      const resume = summary.resume === null ? null : `${summary.resume} --project ${project.root}`;
      input.io.stdout(`${formatSummary({ ...summary, resume }, { colour: input.io.stdoutIsTty === true })}\n`);
      for (const note of notes) input.io.stdout(`Note: ${note}\n`);
    }
    // Failed entities fail the command as they fail a dry run: the work is not all done.
    const partial = summary.computations.some((r) => r.partial);
    return summary.status === 'failed' || partial ? 1 : 0;
  } finally {
    await runtime.close();
    await new Promise((resolve) => file.end(resolve));
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the computations for a date or a date range, skipping what is up to date',
  flags: RUN_FLAGS,
  run: (input) => runInProcess(input, { force: input.flags.force === true }),
};

/**
 * Historical computations that began the run from no previous result: the
 * first date each one ran on had no usable result of its own for the day
 * before, so ctx.previousResult was null there. Said once per computation.
 */
async function historicalStarts(manifest: Manifest, state: StateStore, summary: ExecutionSummary): Promise<string[]> {
  const notes: string[] = [];
  for (const entry of manifest.computations.filter((e) => e.config.isHistorical)) {
    const first = summary.computations.find((r) => r.name === entry.name && r.ran);
    // No entity started from nothing when it ran for none.
    if (first === undefined || (first.entities !== null && first.entities.planned === 0)) continue;
    const before = previousDate(entry, first.date);
    const previous = await state.states.get(before, entry.name);
    if (previous !== null && hasUsableResult(previous)) continue;
    // A failed or blocked previous date blocks the chain (it does not start from nothing): said by its own status.
    if (previous !== null && (previous.status === 'failed' || previous.status === 'blocked')) continue;
    notes.push(
      `${entry.name} (historical) started on ${first.date} from no previous result: nothing usable is stored for ${before}${previous === null ? '' : ` (it is ${previous.status})`}, so ctx.previousResult was null. Run ${before} first if it should carry over.`,
    );
  }
  return notes;
}
