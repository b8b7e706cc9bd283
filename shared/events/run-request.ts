import type { IsoDate } from '../model/types.ts';
import { didYouMean } from '../util/nearest.ts';
import { RUN_DATE_FORMS, resolveRunDate, runDateProblem } from '../util/relative-date.ts';
import { dateRange, daysBetween, FIRST_DATE, LAST_DATE } from '../model/dates.ts';
import { quoted } from '../util/safe-text.ts';
import { isRunId, MAX_NAME_CHARS, MAX_RUN_COMPUTATIONS, type RunRequested } from './contracts.ts';

/**
 * One place that reads a run request, whichever way it came: `compute run`
 * and `compute analyze` flags, the management API's body, a runs-topic
 * message (Cloud Scheduler's `{"date": "yesterday", "schedule": "02:00"}`
 * included). Each source checks the shape of what it received (flag
 * types, zod at the HTTP edge) and hands the fields here; the answer is
 * the same for all three, and each turns the problems into its own
 * refusal: the CLI exits 2, the API answers 400, a message is poison.
 */

/** The fields of a run request as a source received them, before any check. */
export interface RunRequestFields {
  /** First date: YYYY-MM-DD, 'today', 'yesterday' or 'today-N' (UTC). Required. */
  date?: string | undefined;
  /** Last date, inclusive. (Default: `date`) */
  to?: string | undefined;
  /** Computation names; each entry may be a comma list ('A,B'). (Default: none given, every computation) */
  computations?: readonly string[] | undefined;
  force?: boolean | undefined;
  /** Also re-examine the repair window before the dates (a scheduled run always does). */
  repair?: boolean | undefined;
  /** A scheduled run's time 'HH:MM' (UTC): one date, only the computations scheduled then. */
  schedule?: string | undefined;
  runId?: string | undefined;
}

/** A checked run request: what every source starts a run (or an analysis) from. */
export interface RunRequest {
  /** Resolved calendar dates, earliest first, at most `maxRunDays` of them. */
  dates: IsoDate[];
  /** Names, each once, in the order given; null for every computation. */
  computations: string[] | null;
  force: boolean;
  /** True when asked for, and always for a scheduled run. */
  repair: boolean;
  schedule: string | null;
  runId: string | null;
}

export interface RunRequestRules {
  /** The moment relative dates resolve against: the CLI's clock, the request's or the message's publish time. */
  now: Date;
  /** The project's `maxRunDays`. */
  maxRunDays: number;
  /** How the source spells a field in its messages: '--to' on the command line, "field 'to'" in JSON. */
  field: (name: 'date' | 'to' | 'computation' | 'schedule' | 'runId') => string;
  /** The project's computation names, when the source can check them here. (Default: not checked) */
  known?: readonly string[];
  /** Check the fields only, leaving `dates` empty: a first look before the project's settings are read. (Default: false) */
  checkOnly?: boolean;
}

export type ParsedRunRequest = { ok: true; request: RunRequest } | { ok: false; problems: string[] };

/**
 * The fields of a JSON run request (the management API's body, a
 * runs-topic message), after their shape is checked: `computation` takes a
 * name, a comma list or a list of them; a message may say `computations`.
 */
export function fieldsFromJson(body: {
  date?: string | undefined;
  to?: string | undefined;
  computation?: string | readonly string[] | undefined;
  computations?: readonly string[] | undefined;
  force?: boolean | undefined;
  repair?: boolean | undefined;
  schedule?: string | undefined;
  runId?: string | undefined;
}): RunRequestFields {
  const { computation, computations, ...rest } = body;
  return {
    ...rest,
    computations:
      computations ??
      (computation === undefined ? undefined : typeof computation === 'string' ? [computation] : computation),
  };
}

/** Spellings of the fields in JSON bodies and messages. */
export const jsonField = (name: string): string => `field '${name}'`;
/** Spellings of the fields on the command line. */
export const flagField = (name: string): string => (name === 'runId' ? '--run-id' : `--${name}`);

function resolveDate(
  text: string | undefined,
  name: 'date' | 'to',
  rules: RunRequestRules,
  problems: string[],
): IsoDate | null {
  if (text === undefined) {
    if (name === 'date') problems.push(`${rules.field('date')} is required, e.g. 2026-01-26 or yesterday`);
    return null;
  }
  const problem = runDateProblem(text);
  if (problem !== null) {
    const detail = problem.includes(RUN_DATE_FORMS) ? `; got ${quoted(text)}` : `: ${problem}`;
    problems.push(`${rules.field(name)} must be ${RUN_DATE_FORMS}, from ${FIRST_DATE} to ${LAST_DATE}${detail}`);
    return null;
  }
  try {
    return resolveRunDate(text, rules.now);
  } catch (error) {
    problems.push(`${rules.field(name)}: ${(error as Error).message}`);
    return null;
  }
}

function computationNames(fields: RunRequestFields, rules: RunRequestRules, problems: string[]): string[] | null {
  if (fields.computations === undefined) return null;
  const names: string[] = [];
  const seen = new Set<string>();
  for (const entry of fields.computations) {
    const parts = entry
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (parts.length === 0) problems.push(`${rules.field('computation')} names no computation; got ${quoted(entry)}`);
    for (const name of parts) {
      if (name.length > MAX_NAME_CHARS) {
        problems.push(
          `${rules.field('computation')}: a name is at most ${MAX_NAME_CHARS} characters; got ${quoted(name)} (${name.length})`,
        );
        return null;
      }
      if (!seen.has(name)) names.push(name);
      seen.add(name);
      if (names.length > MAX_RUN_COMPUTATIONS) {
        problems.push(
          `${rules.field('computation')} names more than ${MAX_RUN_COMPUTATIONS} computations; leave it out to run every computation`,
        );
        return null;
      }
    }
  }
  if (rules.known !== undefined) {
    for (const name of names.filter((n) => !rules.known!.includes(n)).slice(0, 10))
      problems.push(
        `No computation named ${quoted(name)} (${rules.field('computation')}).${didYouMean(name, rules.known)} Known: ${rules.known.join(', ')}.`,
      );
  }
  return names.length === 0 ? null : names;
}

/** Checks and resolves a run request; the problems name each bad field as the source spells it. */
export function parseRunRequest(fields: RunRequestFields, rules: RunRequestRules): ParsedRunRequest {
  const problems: string[] = [];
  const date = resolveDate(fields.date, 'date', rules, problems);
  const to = resolveDate(fields.to, 'to', rules, problems) ?? date;
  const computations = computationNames(fields, rules, problems);
  const schedule = fields.schedule ?? null;
  if (schedule !== null && !/^([01]\d|2[0-3]):[0-5]\d$/.test(schedule))
    problems.push(
      `${rules.field('schedule')} must be a time of day as HH:MM (UTC), e.g. 02:00; got ${quoted(schedule)}`,
    );
  const runId = fields.runId ?? null;
  if (runId !== null && !isRunId(runId))
    problems.push(
      `${rules.field('runId')} must be 1 to 128 characters of letters, digits, '.', '_' and '-' (not '.' or '..'); got ${quoted(runId, 140)}`,
    );
  let dates: IsoDate[] = [];
  if (date !== null && to !== null) {
    const span = daysBetween(date, to) + 1;
    if (to < date)
      problems.push(
        `${rules.field('to')} (${to}) is before ${rules.field('date')} (${date}): give the range earliest first`,
      );
    else if (span > rules.maxRunDays)
      problems.push(
        `${rules.field('date')} ${date} to ${to} spans ${span} dates; one request covers at most ${rules.maxRunDays} (the maxRunDays setting): split the range`,
      );
    else if (schedule !== null && span > 1)
      problems.push(
        `a scheduled run covers one date: drop ${rules.field('to')} or ${rules.field('schedule')} (got ${date} to ${to})`,
      );
    else if (rules.checkOnly !== true) dates = dateRange(date, to);
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    request: {
      dates,
      computations,
      force: fields.force === true,
      repair: fields.repair === true || schedule !== null,
      schedule,
      runId,
    },
  };
}

/** The run.requested event that starts the run a request asks for. */
export function runRequestedEvent(request: RunRequest, runId: string, trigger: string): RunRequested {
  return {
    v: 1,
    type: 'run.requested',
    runId,
    dates: request.dates,
    computations: request.computations,
    force: request.force,
    repair: request.repair,
    trigger,
    ...(request.schedule === null ? {} : { schedule: request.schedule }),
  };
}
