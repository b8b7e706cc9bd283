import { isCalendarDate } from '../model/iso-date.ts';
import type { IsoDate } from '../model/types.ts';
import { FINAL_STATUSES, type FinalStatus, type RunStore } from '../ports/state-store.ts';

/**
 * The steps of a run (see "step" in shared/model/types.ts): every key the
 * planner, the executor and the sweep claim or list is built by `stepKey`
 * and read back by `parseStepKey`, here and nowhere else. The stored form
 * is `KIND/FIELD/FIELD...`; it is what the state stores hold, so changing a
 * format here strands the steps of runs already under way.
 */
export type StepKey =
  /** The planner opened pass `pass` of a date (recorded before it publishes the pass). */
  | { kind: 'pass'; date: IsoDate; pass: number }
  /** The planner started a date of the run. */
  | { kind: 'date-start'; date: IsoDate }
  /** The planner counted a computation of a date as done. */
  | { kind: 'done'; date: IsoDate; computation: string }
  /** The planner closed pass `pass` of a date. */
  | { kind: 'closed'; date: IsoDate; pass: number }
  /** The planner finished a date. */
  | { kind: 'date-done'; date: IsoDate }
  /** The planner finished the run. */
  | { kind: 'run-done' }
  /** The executor recorded a computation's outcome (before it announces it). */
  | { kind: 'outcome'; date: IsoDate; computation: string; status: FinalStatus }
  /** A fan-out attempt started; the newest is the one a takeover continues. */
  | { kind: 'attempt'; date: IsoDate; computation: string; attempt: number }
  /** The batches of an attempt claimed and not seen completed were published again under a lease token. */
  | { kind: 'republish'; date: IsoDate; computation: string; attempt: number; token: number }
  /** The breaker of an attempt tripped. */
  | { kind: 'breaker'; date: IsoDate; computation: string; attempt: number }
  /** An attempt was finalized under a lease token. */
  | { kind: 'finalize'; date: IsoDate; computation: string; attempt: number; token: number }
  /** Try `n` of a computation in the run, after an error. */
  | { kind: 'try'; date: IsoDate; computation: string; n: number };

export type StepKind = StepKey['kind'];
type Fields<K extends StepKind> = Omit<Extract<StepKey, { kind: K }>, 'kind'>;
type FieldName = keyof Fields<'republish'> | 'pass' | 'status' | 'n';

/** Each kind's word in the stored key, and its fields in order. */
const FORMATS: { [K in StepKind]: { word: string; fields: ReadonlyArray<keyof Fields<K>> } } = {
  pass: { word: 'pass', fields: ['date', 'pass'] },
  'date-start': { word: 'date-start', fields: ['date'] },
  done: { word: 'done', fields: ['date', 'computation'] },
  closed: { word: 'closed', fields: ['date', 'pass'] },
  'date-done': { word: 'date-done', fields: ['date'] },
  'run-done': { word: 'run-done', fields: [] },
  outcome: { word: 'outcome', fields: ['date', 'computation', 'status'] },
  attempt: { word: 'attempt', fields: ['date', 'computation', 'attempt'] },
  republish: { word: 'republish', fields: ['date', 'computation', 'attempt', 'token'] },
  breaker: { word: 'breaker', fields: ['date', 'computation', 'attempt'] },
  finalize: { word: 'finalize', fields: ['date', 'computation', 'attempt', 'token'] },
  try: { word: 'tries', fields: ['date', 'computation', 'n'] },
};

const KIND_OF_WORD = new Map(Object.entries(FORMATS).map(([kind, format]) => [format.word, kind as StepKind]));

/** The attempt steps write their attempt zero-padded, so a computation's attempts list oldest first. */
const ATTEMPT_DIGITS = 8;

function text(kind: StepKind, field: FieldName, value: unknown): string {
  if (kind === 'attempt' && field === 'attempt') return String(value).padStart(ATTEMPT_DIGITS, '0');
  return String(value);
}

/** What a field must look like, and its value read from the key (undefined: it does not). */
function read(field: FieldName, part: string): unknown {
  switch (field) {
    case 'date':
      return isCalendarDate(part) ? part : undefined;
    case 'computation':
      return part !== '' ? part : undefined;
    case 'status':
      return (FINAL_STATUSES as readonly string[]).includes(part) ? part : undefined;
    default:
      return /^\d+$/.test(part) && Number.isSafeInteger(Number(part)) ? Number(part) : undefined;
  }
}

/** The stored key of a step. */
export function stepKey(step: StepKey): string {
  const { word, fields } = FORMATS[step.kind] as { word: string; fields: readonly FieldName[] };
  const values = step as unknown as Record<FieldName, unknown>;
  return [word, ...fields.map((field) => text(step.kind, field, values[field]))].join('/');
}

/**
 * The prefix that lists the steps of a kind, narrowed by its leading
 * fields (`{ kind: 'done', date }` lists the computations done on a date);
 * for `runs.steps(runId, prefix)`.
 */
export function stepPrefix<K extends StepKind>(kind: K, leading: Partial<Fields<K>> = {}): string {
  const { word, fields } = FORMATS[kind] as { word: string; fields: readonly FieldName[] };
  const values = leading as unknown as Record<FieldName, unknown>;
  const parts = [word];
  for (const field of fields) {
    if (values[field] === undefined) break;
    parts.push(text(kind, field, values[field]));
  }
  return `${parts.join('/')}/`;
}

/**
 * The step a stored key names. Refuses, naming the key and the format it
 * should have, a key of no known kind, with missing or extra parts, a part
 * that is not what its field holds, or one not written as `stepKey` writes
 * it (an attempt not zero-padded).
 */
export function parseStepKey(key: string): StepKey {
  const [word = '', ...parts] = key.split('/');
  const kind = KIND_OF_WORD.get(word);
  if (kind === undefined)
    throw new Error(
      `Step key '${key}' is of no known kind ('${word}'); the kinds are ${[...KIND_OF_WORD.keys()].join(', ')}`,
    );
  const fields = FORMATS[kind].fields as readonly FieldName[];
  const format = [word, ...fields.map((field) => field.toUpperCase())].join('/');
  if (parts.length !== fields.length)
    throw new Error(`Step key '${key}' has ${parts.length} part(s) after '${word}'; expected ${format}`);
  const step: Record<string, unknown> = { kind };
  for (const [index, field] of fields.entries()) {
    const value = read(field, parts[index]!);
    if (value === undefined)
      throw new Error(`Step key '${key}': '${parts[index]}' is not a valid ${field}; expected ${format}`);
    step[field] = value;
  }
  const parsed = step as StepKey;
  if (stepKey(parsed) !== key)
    throw new Error(`Step key '${key}' is not written as ${format} is (expected '${stepKey(parsed)}')`);
  return parsed;
}

/** Parses a key known to be of `kind` (listed under its prefix); refuses one of another kind. */
export function parseStepOf<K extends StepKind>(kind: K, key: string): Extract<StepKey, { kind: K }> {
  const step = parseStepKey(key);
  if (step.kind !== kind) throw new Error(`Step key '${key}' is a ${step.kind} step, not a ${kind} step`);
  return step as Extract<StepKey, { kind: K }>;
}

/** Claims a step of a run: true for exactly one caller, however many race or retry. */
export function claimStep(runs: Pick<RunStore, 'claimStep'>, runId: string, step: StepKey): Promise<boolean> {
  return runs.claimStep(runId, stepKey(step));
}

/** Whether a run claimed a step. */
export async function hasStep(runs: Pick<RunStore, 'steps'>, runId: string, step: StepKey): Promise<boolean> {
  const key = stepKey(step);
  return (await runs.steps(runId, key)).includes(key);
}

/** The claimed steps of a kind in a run, narrowed by leading fields (see stepPrefix), in stored order. */
export async function claimedSteps<K extends StepKind>(
  runs: Pick<RunStore, 'steps'>,
  runId: string,
  kind: K,
  leading: Partial<Fields<K>> = {},
): Promise<Array<Extract<StepKey, { kind: K }>>> {
  return (await runs.steps(runId, stepPrefix(kind, leading))).map((key) => parseStepOf(kind, key));
}
