import { LOG_SINK, isComputationClass } from '../model/computation.ts';
import { computationConfigSchema, type ComputationConfig } from '../model/config-schema.ts';
import { isCalendarDate } from '../model/iso-date.ts';
import { GLOBAL_ENTITY, type ComputationContext, type IsoDate, type LogLevel, type Row } from '../model/types.ts';
import { buildContext, type ContextInput } from '../batches/computation-context.ts';
import { storableResult } from '../batches/json-value.ts';
import { didYouMean } from '../util/nearest.ts';
import { describeIssues } from '../util/zod-problems.ts';

/** A computation class as a test imports it: static getConfig() and process(ctx). */
export interface TestableComputation {
  new (): { process(context: ComputationContext): unknown };
  getConfig(): unknown;
}

/** A value as stored and read back: Dates become ISO strings, null and undefined store nothing. */
export type StoredValue<T> = T extends Date
  ? string
  : T extends null | undefined
    ? never
    : T extends readonly (infer Item)[]
      ? StoredValue<Item>[]
      : T extends object
        ? { [K in keyof T]: StoredValue<T[K]> }
        : T;

/** One `this.log(level, message, fields)` call made by process(), in call order. */
export interface TestLogLine {
  level: LogLevel;
  message: string;
  /** The third argument of `this.log`; `{}` when none was given. */
  fields: Record<string, unknown>;
}

/** What one test run of `process()` gets: DESIGN.md section 5b. */
export interface TestComputationInput {
  /** The date, `YYYY-MM-DD`, as `ctx.date`. */
  date: IsoDate;
  /** Per-entity computations: the entity, as `ctx.entityId` (required). Global ones: leave out. */
  entityId?: string;
  /**
   * Rows of each required table, as `ctx.data` holds them: per-entity, this
   * entity's rows; global, every row of the window. A required table left
   * out is an empty array, as when the warehouse has no rows for it.
   */
  data: Record<string, Row[]>;
  /**
   * Results of the computation's dependencies, by name. For a per-entity
   * dependency read by a global computation: an object of entity id ->
   * result (what `getDependency(name)` returns there). Otherwise the
   * dependency's result (for this entity, or its global result).
   */
  dependencies?: Record<string, unknown>;
  /** Historical computations: the previous date's own result. (Default: null) */
  previousResult?: unknown;
  /** The exports of each rule module the config lists, by name: `{ activity: await import('../rules/activity.ts') }`. */
  rules?: Record<string, Record<string, unknown>>;
  /** When given, each `this.log(...)` call of process() is appended to it. */
  logs?: TestLogLine[];
}

/** process() threw, or returned a value JSON cannot hold: the entity error the system would record. */
export class ComputationTestError extends Error {
  /** The entity error as the system records it, e.g. `result.total is NaN`. */
  readonly entityError: string;
  /** The `this.log` lines of the run that failed. */
  readonly logs: TestLogLine[];

  constructor(label: string, entityError: string, logs: TestLogLine[], cause?: unknown) {
    super(`${label}: ${entityError}`, cause === undefined ? undefined : { cause });
    this.name = 'ComputationTestError';
    this.entityError = entityError;
    this.logs = logs;
  }
}

/** A mistake in the test's own input (not the computation's): named with the field and what to do. */
export class TestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestInputError';
  }
}

function checkedConfig(Class: unknown): ComputationConfig {
  if (!isComputationClass(Class))
    throw new TestInputError(
      'testComputation: the first argument must be a computation class (with static getConfig() and process(ctx)), e.g. the default export of its file',
    );
  const parsed = computationConfigSchema.safeParse(Class.getConfig());
  if (!parsed.success)
    throw new TestInputError(
      `testComputation: ${Class.name}.getConfig() is invalid: ${describeIssues(parsed.error).join('; ')}`,
    );
  return parsed.data;
}

function checkInput(config: ComputationConfig, input: TestComputationInput): void {
  const name = config.name;
  const problems: string[] = [];
  if (typeof input.date !== 'string' || !isCalendarDate(input.date))
    problems.push(`date is ${JSON.stringify(input.date)}; give a calendar date as YYYY-MM-DD, e.g. 2026-01-05`);
  if (config.type === 'per-entity' && (typeof input.entityId !== 'string' || input.entityId === GLOBAL_ENTITY))
    problems.push(`${name} is per-entity: give the entity as entityId (e.g. entityId: 'u1')`);
  if (config.type === 'global' && input.entityId !== undefined && input.entityId !== GLOBAL_ENTITY)
    problems.push(`${name} is global: it runs once per date, leave entityId out`);
  const tables = Object.keys(config.requires);
  for (const [table, rows] of Object.entries(input.data ?? {})) {
    if (!(table in config.requires))
      problems.push(
        `data.${table}: ${name} does not require '${table}' (requires: ${tables.join(', ') || 'none'}).${didYouMean(table, tables)}`,
      );
    else if (!Array.isArray(rows)) problems.push(`data.${table} must be an array of rows`);
  }
  for (const dependency of Object.keys(input.dependencies ?? {}))
    if (!config.dependencies.includes(dependency))
      problems.push(
        `dependencies.${dependency}: not in ${name}'s dependencies (${config.dependencies.join(', ') || 'none'}).${didYouMean(dependency, config.dependencies)}`,
      );
  const given = Object.keys(input.rules ?? {});
  for (const rule of config.rules)
    if (!given.includes(rule))
      problems.push(`rules.${rule}: ${name} lists it; give its exports, e.g. rules: { ${rule}: await import('…') }`);
  for (const rule of given)
    if (!config.rules.includes(rule))
      problems.push(`rules.${rule}: ${name} does not list '${rule}' in its config's rules`);
  if (input.previousResult !== undefined && input.previousResult !== null && !config.isHistorical)
    problems.push(`previousResult: ${name} is not isHistorical, so the system always gives it null`);
  if (problems.length > 0) throw new TestInputError(`testComputation(${name}): ${problems.join('; ')}`);
}

/** The inputs of buildContext, with the test's dependency values placed as the system would place them. */
function contextInput(config: ComputationConfig, input: TestComputationInput, as: 'global' | 'entity'): ContextInput {
  const entityId = config.type === 'global' ? GLOBAL_ENTITY : input.entityId!;
  const dependencies = input.dependencies ?? {};
  const data: Record<string, Row[]> = {};
  for (const table of Object.keys(config.requires)) data[table] = input.data?.[table] ?? [];
  const byEntity: Record<string, Record<string, unknown>> = {};
  const own: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(dependencies)) {
    if (config.type === 'global') byEntity[name] = (value ?? {}) as Record<string, unknown>;
    else {
      own[name] = value;
      byEntity[name] = { [entityId]: value };
    }
  }
  return {
    computation: config.name,
    date: input.date,
    entityId,
    data,
    rules: input.rules ?? {},
    previousResult: input.previousResult === undefined ? null : copyStored(config, input.previousResult),
    dependencies: config.dependencies,
    ownDependencies: own,
    globals: as === 'global' ? dependencies : {},
    byEntity: as === 'global' ? {} : byEntity,
  };
}

/** A value as it would come back from storage (Dates as ISO strings). */
function copyStored(config: ComputationConfig, value: unknown): unknown {
  const stored = storableResult(value);
  if ('error' in stored) throw new TestInputError(`testComputation(${config.name}): previousResult: ${stored.error}`);
  return stored.value;
}

/**
 * The real `ctx` (batches/computation-context.ts), built twice because a
 * test's dependency value does not say whether the dependency is global or
 * per-entity: `getDependency(name)` and `getDependency(name, '_global')` read
 * it as a global result, `getDependency(name, entityId)` as per-entity
 * results (this entity's, or in a global computation the one keyed by that id).
 */
function testContext(config: ComputationConfig, input: TestComputationInput): ComputationContext {
  const asGlobal = buildContext(contextInput(config, input, 'global'));
  const asEntity = buildContext(contextInput(config, input, 'entity'));
  return {
    ...asGlobal,
    getDependency: <T>(name: string, entityId?: string): T | null =>
      entityId === undefined || entityId === GLOBAL_ENTITY
        ? asGlobal.getDependency<T>(name, entityId)
        : asEntity.getDependency<T>(name, entityId),
  };
}

/**
 * Runs a computation's `process()` once, with no warehouse and no state,
 * and resolves to what the system would store for that entity and date:
 * the result as plain JSON (a Date as its ISO string, undefined fields left
 * out), or null when nothing would be stored (process returned null or
 * undefined). Rejects with a {@link ComputationTestError} when the system
 * would record an entity error: process() threw, or returned a value JSON
 * cannot hold (`result.total is NaN`); rejects with a {@link TestInputError}
 * when the test's own input does not fit the computation's config.
 *
 * ```ts
 * const logs: TestLogLine[] = [];
 * const result = await testComputation(UserActivity, {
 *   date: '2026-01-05', entityId: 'u1', data: { user_logins: [...] }, logs,
 * });
 * ```
 */
export async function testComputation<C extends TestableComputation>(
  Class: C,
  input: TestComputationInput,
): Promise<StoredValue<Awaited<ReturnType<InstanceType<C>['process']>>> | null> {
  const config = checkedConfig(Class);
  checkInput(config, input);
  const logs = input.logs ?? [];
  const label = `${config.name}${config.type === 'per-entity' ? ` (entity ${input.entityId})` : ''} on ${input.date}`;
  const instance = new Class();
  (instance as { [LOG_SINK]?: unknown })[LOG_SINK] = (
    level: LogLevel,
    message: string,
    fields?: Record<string, unknown>,
  ) => {
    logs.push({ level, message, fields: fields ?? {} });
  };
  let returned: unknown;
  try {
    returned = await instance.process(testContext(config, input));
  } catch (error) {
    throw new ComputationTestError(label, error instanceof Error ? error.message : String(error), logs, error);
  }
  const stored = storableResult(returned);
  if ('error' in stored) throw new ComputationTestError(label, stored.error, logs);
  return stored.value as StoredValue<Awaited<ReturnType<InstanceType<C>['process']>>> | null;
}
