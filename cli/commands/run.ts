import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { executionSummary, formatSummary, settled, type ExecutionSummary } from '../../shared/reports/summary.ts';
import { hasUsableResult, previousDate } from '../../shared/plan/decide.ts';
import type { StateStore } from '../../shared/ports/state-store.ts';
import { InProcessBus } from '../../shared/adapters/inprocess/inprocess-bus.ts';
import { UsageError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { Manifest, ManifestEntry } from '../../shared/manifest/manifest.ts';
import { runIdFor } from '../../shared/events/run-id.ts';
import { flagField, parseRunRequest, runRequestedEvent, type RunRequest } from '../../shared/events/run-request.ts';
import type { ProjectConfig } from '../../shared/project/project-config.ts';
import { FIRST_DATE } from '../../shared/model/dates.ts';
import { didYouMean } from '../../shared/util/nearest.ts';
import { COMPUTATIONS_FLAG, listFlag, stringFlag, type FlagSpec, type Flags } from '../args.ts';
import { loadProject, printJson, type Command, type CommandInput } from '../command.ts';
import { ProgressDisplay } from '../progress.ts';
import { settleRun } from '../run-loop.ts';
import { openRuntime } from '../runtime.ts';

/**
 * The run request of `compute run` or `analyze` flags, checked by the one
 * function the management API and run messages use: a problem is bad usage
 * (exit 2) naming the flag. Without a project (`project` null) only what
 * needs none is checked, so bad flags say so before a project is read.
 */
export function runRequestFromFlags(
  flags: Flags,
  now: Date,
  project: { config: ProjectConfig; manifest: Manifest } | null,
): RunRequest {
  const parsed = parseRunRequest(
    {
      date: typeof flags.date === 'string' ? flags.date : undefined,
      to: stringFlag(flags, 'to'),
      computations: flags.computation === undefined ? undefined : listFlag(flags, 'computation'),
      force: flags.force === true,
      repair: flags.repair === true,
      schedule: stringFlag(flags, 'schedule'),
    },
    {
      now,
      maxRunDays: project?.config.maxRunDays ?? Number.POSITIVE_INFINITY,
      field: flagField,
      ...(project === null ? { checkOnly: true } : { known: project.manifest.computations.map((e) => e.name) }),
    },
  );
  if (!parsed.ok) throw new UsageError(parsed.problems.join('\n'));
  return parsed.request;
}

/** --computation A,B --computation C, checked against the manifest (a name it lacks is bad usage); null when not given. */
export function computationsFromFlags(flags: Flags, manifest: Manifest): string[] | null {
  if (flags.computation === undefined) return null;
  const names: string[] = [];
  for (const name of listFlag(flags, 'computation')
    .flatMap((v) => v.split(','))
    .map((n) => n.trim())) {
    if (name === '') continue;
    if (!manifest.byName.has(name)) throw new UsageError(unknownComputation(manifest, name));
    if (!names.includes(name)) names.push(name);
  }
  if (names.length === 0) throw new UsageError('--computation names no computation, e.g. --computation Totals');
  return names;
}

/** A word a POSIX shell reads back as itself: quoted when it holds anything but safe characters. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** The entry --computation NAME names, or bad usage with the nearest name. */
export function computationFromFlag(manifest: Manifest, name: string): ManifestEntry {
  const entry = manifest.byName.get(name);
  if (entry === undefined) throw new UsageError(unknownComputation(manifest, name));
  return entry;
}

/** "No computation named 'X' (--computation). Did you mean 'Y'? Known: ..." */
export function unknownComputation(manifest: Manifest, name: string): string {
  const known = [...manifest.byName.keys()];
  return `No computation named '${name}' (--computation).${didYouMean(name, known)} Known: ${known.join(', ')}.`;
}

export const RUN_FLAGS = {
  date: { type: 'string', description: 'date YYYY-MM-DD, or today, yesterday, today-N (required)' },
  to: { type: 'string', description: 'last date of a range (backfill), inclusive' },
  computation: COMPUTATIONS_FLAG,
  force: { type: 'boolean', description: 'run even when the stored result is up to date' },
  repair: {
    type: 'boolean',
    description: 'also re-examine the repairDays dates before --date, as a scheduled run does',
  },
  verbose: { type: 'boolean', description: 'also print the JSON logs on stderr' },
  schedule: {
    type: 'string',
    description:
      'run as the scheduled run at HH:MM would: only computations scheduled then and due on the date, with its repair window (e.g. --date yesterday --schedule 02:00)',
  },
} as const satisfies Record<string, FlagSpec>;

/** Runs the manifest (or part of it) for dates in this process, over the in-process bus. */
export async function runInProcess(
  input: CommandInput,
  options: { force: boolean; computations?: string[] | null },
): Promise<number> {
  const now = new Date();
  runRequestFromFlags(input.flags, now, null);
  const project = await loadProject(input);
  const manifest = await requireManifest(project);
  const request = runRequestFromFlags(input.flags, now, { config: project, manifest });
  const { dates } = request;
  const computations = options.computations !== undefined ? options.computations : request.computations;
  const runId = runIdFor(request, { via: 'cli' });
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
        `Run ${runId}: ${dates[0]}${dates.length > 1 ? ` to ${dates[dates.length - 1]}` : ''}, ${computations === null ? 'all computations' : computations.join(', ')}${options.force ? ', forced' : ''}${request.repair ? (project.repairDays > 0 ? `, looking ${project.repairDays} date(s) back for work to repair` : ', repair window off (repairDays is 0)') : ''}\n`,
      );
    await bus.publish(
      runRequestedEvent({ ...request, computations, force: options.force }, runId, request.repair ? 'repair' : 'cli'),
    );
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
    // The printed commands name the project, so they do what they say from any folder.
    const here = (command: string | null | undefined) =>
      command === null || command === undefined ? null : `${command} --project ${shellWord(project.root)}`;
    const resume = here(summary.resume);
    const rerun = here(summary.rerun);
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
        resume,
        rerun,
        notes,
      });
    } else {
      input.io.stdout(`${formatSummary({ ...summary, resume, rerun }, { colour: input.io.stdoutIsTty === true })}\n`);
      for (const note of notes) input.io.stdout(`Note: ${note}\n`);
    }
    // 0 only when every computation-date covered completed with all its entities or was up to date (DESIGN 5b).
    return summary.computations.every(settled) ? 0 : 1;
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
    // No entity started from nothing when it ran for none; nothing comes before the first date of the calendar.
    if (first === undefined || first.date === FIRST_DATE || (first.entities !== null && first.entities.planned === 0))
      continue;
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
