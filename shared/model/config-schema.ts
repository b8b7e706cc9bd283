import { z } from 'zod';

/** Names end up in table names and file names, so keep them identifiers. */
const identifier = z
  .string({ error: 'must be a string' })
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must start with a letter or underscore and hold only letters, digits and underscores',
  );

export const requirementSchema = z
  .object(
    {
      /** Days before the run date also read. (Default: 0, the run date only) */
      lookback: z
        .number({ error: 'must be a whole number of days' })
        .int('must be a whole number of days')
        .min(0, 'must be 0 or more')
        .max(3660, 'must be at most 3660 days')
        .default(0),
      /** A mandatory table with no rows in the window makes the computation impossible. (Default: false) */
      mandatory: z.boolean({ error: 'must be true or false' }).default(false),
      /** Date column; `null` reads the table without a date filter (a dimension table). (Default: the project's dateField) */
      dateField: z
        .union([z.string().min(1, 'must not be empty'), z.null()], { error: 'must be a column name or null' })
        .optional(),
      /** Entity column. (Default: the project's entityField) */
      entityField: z.string({ error: 'must be a column name' }).min(1, 'must not be empty').optional(),
      /** Columns to read. (Default: all columns) */
      columns: z
        .array(z.string().min(1, 'must not be empty'), { error: 'must be a list of column names' })
        .min(1, 'must name at least one column')
        .optional(),
    },
    { error: 'must be an object such as { lookback: 0, mandatory: true }' },
  )
  .strict();

export const scheduleSchema = z
  .object(
    {
      /** How often the computation is due. (Default: 'daily') */
      frequency: z
        .enum(['daily', 'weekly', 'monthly'], { error: "must be 'daily', 'weekly' or 'monthly'" })
        .default('daily'),
      /** Time of day, 24-hour `HH:MM`, in UTC. (Default: '02:00') */
      time: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day as 'HH:MM', e.g. '02:00'")
        .default('02:00'),
    },
    { error: "must be an object such as { frequency: 'daily', time: '02:00' }" },
  )
  .strict();

export const computationConfigSchema = z
  .object(
    {
      /** Unique name of the computation. Required. */
      name: identifier,
      /** 'global' runs once per date; 'per-entity' once per entity per date. Required. */
      type: z.enum(['per-entity', 'global'], { error: "must be 'per-entity' or 'global'" }),
      /** Tables read, by name. (Default: none) */
      requires: z
        .record(identifier, requirementSchema, { error: 'must be an object mapping table names to requirements' })
        .default({}),
      /** Computations that must run before this one. (Default: none) */
      dependencies: z
        .array(z.string({ error: 'must be a computation name' }), { error: 'must be a list of computation names' })
        .default([]),
      /** When it is due. (Default: { frequency: 'daily', time: '02:00' }) */
      schedule: scheduleSchema.default({ frequency: 'daily', time: '02:00' }),
      /** Days the state of a result is kept. (Default: 365) */
      ttlDays: z
        .number({ error: 'must be a number of days' })
        .int('must be a whole number of days')
        .positive('must be at least 1')
        .default(365),
      /** When true, `previousResult` holds the previous date's own result. (Default: false) */
      isHistorical: z.boolean({ error: 'must be true or false' }).default(false),
      /** Time limits of this computation, over the project's `execution` ones. */
      timeouts: z
        .object(
          {
            /** One entity's process() running longer fails that entity. (Default: the project's entityTimeoutSeconds, 300) */
            entitySeconds: z
              .number({ error: 'must be a number of seconds' })
              .positive('must be more than 0')
              .optional(),
            /** The whole computation running longer fails it. (Default: the project's computationTimeoutSeconds, 3600) */
            computationSeconds: z
              .number({ error: 'must be a number of seconds' })
              .positive('must be more than 0')
              .optional(),
          },
          { error: 'must be an object such as { entitySeconds: 60 }' },
        )
        .strict()
        .optional(),
      /** Rule modules (files in the rules folder) exposed as `ctx.rules.NAME`. (Default: none) */
      rules: z
        .array(z.string({ error: 'must be a rule module name' }), { error: 'must be a list of rule module names' })
        .default([]),
    },
    { error: 'getConfig() must return an object' },
  )
  .strict();

export type RequirementInput = z.input<typeof requirementSchema>;
export type Requirement = z.output<typeof requirementSchema>;
export type ComputationConfigInput = z.input<typeof computationConfigSchema>;
export type ComputationConfig = z.output<typeof computationConfigSchema>;
