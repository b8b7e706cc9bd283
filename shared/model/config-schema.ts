import { z } from 'zod';
import { checksSchema } from './check-schema.ts';

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
      /**
       * Whether the version of the rows read in this table's window is part of
       * the composite hash, so a late or corrected row re-runs the computation.
       * `false` for a table whose changes should not re-run it, e.g. a log only
       * ever appended to outside the window. (Default: the project's inputVersions)
       */
      version: z.boolean({ error: 'must be true or false' }).optional(),
    },
    { error: 'must be an object such as { lookback: 0, mandatory: true }' },
  )
  .strict();

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const scheduleSchema = z
  .object(
    {
      /** How often the computation is due: every date, one weekday, or one day of the month. (Default: 'daily') */
      frequency: z
        .enum(['daily', 'weekly', 'monthly'], { error: "must be 'daily', 'weekly' or 'monthly'" })
        .default('daily'),
      /**
       * Time of day, 24-hour `HH:MM`, in UTC, when the scheduled run that
       * covers it starts (that run's date is the day before). (Default: '02:00')
       */
      time: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day as 'HH:MM', e.g. '02:00'")
        .default('02:00'),
      /**
       * The dates it is due on: weekly, a lowercase weekday name (Default:
       * 'monday'); monthly, a day of the month from 1 to 28, which every
       * month has (Default: 1). Daily takes none.
       */
      day: z
        .union(
          [
            z.enum(WEEKDAYS),
            z
              .number()
              .int('must be a whole day of the month from 1 to 28')
              .min(1, 'must be a day of the month from 1 to 28')
              .max(28, 'must be a day of the month from 1 to 28 (29 to 31 are missing from some months)'),
          ],
          {
            error:
              "must be a lowercase weekday name such as 'monday' (weekly) or a day of the month from 1 to 28 (monthly)",
          },
        )
        .optional(),
    },
    { error: "must be an object such as { frequency: 'daily', time: '02:00' }" },
  )
  .strict()
  .superRefine((schedule, context) => {
    const { frequency, day } = schedule;
    if (day === undefined) return;
    const problem =
      frequency === 'daily'
        ? "a daily schedule takes no day: use frequency 'weekly' or 'monthly'"
        : frequency === 'weekly' && typeof day !== 'string'
          ? `must be a lowercase weekday name such as 'monday' for a weekly schedule; got ${day}`
          : frequency === 'monthly' && typeof day !== 'number'
            ? `must be a day of the month from 1 to 28 for a monthly schedule; got '${day}'`
            : null;
    if (problem !== null) context.addIssue({ code: 'custom', path: ['day'], message: problem });
  })
  .transform(({ frequency, time, day }) => ({
    frequency,
    time,
    /** The weekday (weekly) or day of the month (monthly) it is due on; null for daily. */
    day: frequency === 'daily' ? null : (day ?? (frequency === 'weekly' ? 'monday' : 1)),
  }));

export type Schedule = z.output<typeof scheduleSchema>;

/** The schedule of a computation whose config names none. */
export const DEFAULT_SCHEDULE: Schedule = { frequency: 'daily', time: '02:00', day: null };

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
      /** When it is due and when its scheduled run starts. (Default: { frequency: 'daily', time: '02:00' }) */
      schedule: scheduleSchema.default(DEFAULT_SCHEDULE),
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
      /** Result checks run on the stored results of each date (shared/checks/check-schema.ts). (Default: none) */
      checks: checksSchema,
    },
    { error: 'getConfig() must return an object' },
  )
  .strict();

export type RequirementInput = z.input<typeof requirementSchema>;
export type Requirement = z.output<typeof requirementSchema>;
export type ComputationConfigInput = z.input<typeof computationConfigSchema>;
export type ComputationConfig = z.output<typeof computationConfigSchema>;
