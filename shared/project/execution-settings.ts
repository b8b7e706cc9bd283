import { z } from 'zod';

/**
 * The project's `execution` settings, declared once: the config key a
 * user writes, its unit, its default, what it does and how it is checked.
 * The config parser builds its `execution` schema from this table and
 * `settingsFor` (shared/runtime/service-ports.ts) derives the runtime settings
 * and their defaults from it, so a key, a default or a unit is written
 * nowhere else. Seconds become milliseconds in the runtime
 * (`leaseTtlSeconds` -> `leaseStaleMs`); counts and ratios pass as they are.
 */
interface ExecutionSetting<Runtime extends string> {
  /** The name the runtime settings (RuntimeSettings) give it. */
  runtime: Runtime;
  /** 'seconds' in the config, milliseconds in the runtime; the others are taken as they are. */
  unit: 'seconds' | 'count' | 'ratio';
  /** In the config's unit. */
  default: number;
  /** What the setting does, as README's configuration table says it. */
  doc: string;
  /** The check of a value the config gives; its messages are what a user reads. */
  schema: z.ZodNumber;
}

function setting<Runtime extends string>(declared: ExecutionSetting<Runtime>): ExecutionSetting<Runtime> {
  return declared;
}

export const EXECUTION_SETTINGS = {
  leaseTtlSeconds: setting({
    runtime: 'leaseStaleMs',
    unit: 'seconds',
    default: 300,
    doc: 'A lease with no heartbeat for this long is stale: the watchdog takes the work over. Holders heartbeat every fifth of it.',
    schema: z.number().min(1),
  }),
  breakerThreshold: setting({
    runtime: 'breakerThreshold',
    unit: 'ratio',
    default: 0.3,
    doc: 'Share of failed entities (0-1) that trips the circuit breaker.',
    schema: z.number().min(0).max(1),
  }),
  breakerMinEntities: setting({
    runtime: 'breakerMinEntities',
    unit: 'count',
    default: 100,
    doc: 'Entities processed before the breaker may trip early; at the end the share is judged whatever the size.',
    schema: z.number().int().min(1),
  }),
  maxInFlightBatches: setting({
    runtime: 'maxInFlightBatches',
    unit: 'count',
    default: 16,
    doc: 'Batches of one computation published and not yet completed, at once.',
    schema: z.number().int().min(1).max(10_000),
  }),
  computationConcurrency: setting({
    runtime: 'computationConcurrency',
    unit: 'count',
    default: 4,
    doc: 'Computations of one pass started at once by one executor.',
    schema: z.number().int().min(1).max(256),
  }),
  entityTimeoutSeconds: setting({
    runtime: 'entityTimeoutMs',
    unit: 'seconds',
    default: 300,
    doc: 'One entity\'s process() running longer fails that entity ("timed out after 300 s (entityTimeoutSeconds)").',
    schema: z.number().positive(),
  }),
  computationTimeoutSeconds: setting({
    runtime: 'computationTimeoutMs',
    unit: 'seconds',
    default: 3600,
    doc: "A computation running longer than this since it started is failed by the watchdog. A global computation on a service with a known request timeout gets the request's budget when this is not set.",
    schema: z.number().positive(),
  }),
  batchTimeoutSeconds: setting({
    runtime: 'batchTimeoutMs',
    unit: 'seconds',
    default: 540,
    doc: "A batch's entities not started within this fail, so a push request answers before its 600 s deadline (the request budget, when smaller and this is not set).",
    schema: z.number().positive().max(600),
  }),
  shutdownGraceSeconds: setting({
    runtime: 'shutdownGraceMs',
    unit: 'seconds',
    default: 8,
    doc: "On SIGTERM, requests in flight get this long before they are handed back for redelivery (under Cloud Run's 10 s).",
    schema: z.number().min(0).max(3600),
  }),
};

export type ExecutionKey = keyof typeof EXECUTION_SETTINGS;
/** The runtime name of each setting the table declares. */
export type ExecutionRuntimeKey = (typeof EXECUTION_SETTINGS)[ExecutionKey]['runtime'];
/** The `execution` object of a config, every key optional. */
export type ExecutionConfig = { [K in ExecutionKey]?: number | undefined };

const keys = Object.keys(EXECUTION_SETTINGS) as ExecutionKey[];

/** The `execution` object's schema: every key of the table, optional, nothing else. */
export function executionSchema() {
  const shape = Object.fromEntries(keys.map((key) => [key, EXECUTION_SETTINGS[key].schema.optional()])) as {
    [K in ExecutionKey]: z.ZodOptional<z.ZodNumber>;
  };
  return z.object(shape).strict();
}

/** A value in the config's unit as the runtime holds it. */
function toRuntime(key: ExecutionKey, value: number): number {
  return EXECUTION_SETTINGS[key].unit === 'seconds' ? value * 1000 : value;
}

/** Each runtime setting from the config's value, or its default: `{leaseStaleMs: 300000, ...}`. */
export function executionRuntimeValues(execution: ExecutionConfig): Record<ExecutionRuntimeKey, number> {
  return Object.fromEntries(
    keys.map((key) => [
      EXECUTION_SETTINGS[key].runtime,
      toRuntime(key, execution[key] ?? EXECUTION_SETTINGS[key].default),
    ]),
  ) as Record<ExecutionRuntimeKey, number>;
}

/** The defaults alone, in the runtime's units. */
export const EXECUTION_DEFAULTS = executionRuntimeValues({});
