import { parseArgs } from 'node:util';
import { UsageError } from '../shared/errors.ts';
import { didYouMean } from '../shared/util/nearest.ts';
import { resolveRunDate, runDateProblem } from '../shared/util/relative-date.ts';
import { quoted } from '../shared/util/safe-text.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Shown in help. */
  description: string;
  /** Other spellings accepted, e.g. 'entityId' for 'entity-id'. */
  aliases?: readonly string[];
  /** A string flag that may be given more than once (its value is then a list). (Default: false, twice is bad usage) */
  multiple?: boolean;
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

/** Flags every command takes. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  project: { type: 'string', description: 'project folder holding compute.config.json (default: current folder)' },
  json: { type: 'boolean', description: 'machine-readable output' },
  help: { type: 'boolean', description: 'show this help' },
};

/** Parses a command's flags; an unknown flag or a missing value is a UsageError. */
export function parseFlags(
  command: string,
  argv: string[],
  specs: Record<string, FlagSpec>,
): { flags: Flags; positionals: string[] } {
  const all = { ...COMMON_FLAGS, ...specs };
  // Every string flag is read as a list, so a flag given twice is never quietly cut to its last value.
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  const canonical = new Map<string, string>();
  for (const [name, spec] of Object.entries(all)) {
    for (const spelling of [name, ...(spec.aliases ?? [])]) {
      options[spelling] = spec.type === 'string' ? { type: 'string', multiple: true } : { type: 'boolean' };
      canonical.set(spelling, name);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const text = (error as Error).message;
    const unknown = /Unknown option '--?([^']+)'/.exec(text)?.[1];
    if (unknown !== undefined) {
      throw new UsageError(
        `compute ${command}: unknown flag --${unknown}.${didYouMean(unknown, Object.keys(all)).replace("'", "'--")} Run 'compute ${command} --help' for the flags.`,
      );
    }
    throw new UsageError(`compute ${command}: ${text}`);
  }
  const given: Record<string, Array<string | boolean>> = {};
  for (const [spelling, value] of Object.entries(parsed.values)) {
    const name = canonical.get(spelling)!;
    (given[name] ??= []).push(...(Array.isArray(value) ? value : [value as string | boolean]));
  }
  const flags: Flags = {};
  for (const [name, values] of Object.entries(given)) {
    const spec = all[name]!;
    if (spec.type === 'boolean') flags[name] = values.at(-1);
    else if (spec.multiple === true) flags[name] = values as string[];
    else if (values.length > 1)
      throw new UsageError(
        `compute ${command}: --${name} takes one value; got ${values.map((v) => `--${name} ${String(v)}`).join(' ')}`,
      );
    else flags[name] = values[0];
  }
  return { flags, positionals: parsed.positionals };
}

export function helpText(command: string, summary: string, specs: Record<string, FlagSpec>): string {
  const rows = Object.entries({ ...specs, ...COMMON_FLAGS }).map(([name, spec]) => {
    const flag = spec.type === 'string' ? `--${name} VALUE` : `--${name}`;
    return `  ${flag.padEnd(26)} ${spec.description}`;
  });
  return `compute ${command}: ${summary}\n\n${rows.join('\n')}\n`;
}

/**
 * A flag's value as a date `YYYY-MM-DD`, or a UsageError. 'today',
 * 'yesterday' and 'today-N' are resolved in UTC against the current time.
 */
export function dateFlag(flags: Flags, name: string, required: true): string;
export function dateFlag(flags: Flags, name: string, required?: false): string | undefined;
export function dateFlag(flags: Flags, name: string, required = false): string | undefined {
  const value = flags[name];
  if (value === undefined) {
    if (required) throw new UsageError(`--${name} is required, e.g. --${name} 2026-01-26 or --${name} yesterday`);
    return undefined;
  }
  const problem = typeof value === 'string' ? runDateProblem(value) : 'it has no value';
  if (problem !== null) {
    // A well-formed today-N that reaches too far back says so; anything else gets the forms.
    const detail = problem.includes('reaches back') ? `: ${problem}` : `; got ${quoted(String(value))}`;
    throw new UsageError(
      `--${name} must be a calendar date as YYYY-MM-DD, e.g. 2026-01-26, or today, yesterday, today-N (UTC)${detail}`,
    );
  }
  return resolveRunDate(value as string, new Date());
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A flag that may be repeated, as its list of values: [] when not given. */
export function listFlag(flags: Flags, name: string): string[] {
  const value = flags[name];
  return typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
}

/** --computation for commands about one computation: required, and one name, not a list. */
export function oneComputationFlag(flags: Flags, command: string): string {
  const value = stringFlag(flags, 'computation');
  if (value === undefined) throw new UsageError('--computation is required, e.g. --computation UserDailyActive');
  if (value.includes(',')) {
    throw new UsageError(
      `compute ${command} takes one computation; got --computation ${value}. Run it once per computation (render, analyze and run take several: --computation A,B or --computation A --computation B).`,
    );
  }
  return value.trim();
}

/** --computation for commands taking several: repeatable, each a name or a comma list. */
export const COMPUTATIONS_FLAG: FlagSpec = {
  type: 'string',
  multiple: true,
  description: 'only these computations: repeat it or give a comma list (--computation A,B --computation C)',
};
