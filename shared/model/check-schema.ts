import { z } from 'zod';

/**
 * Result checks, declared in `getConfig()` as `checks: [...]`. Each judges
 * the stored results of one computation-date once they are final.
 *
 * Why this shape: a list of plain objects with a `type` reads like the
 * rest of getConfig() (data, not code), so `compute validate` checks it,
 * `analyze` can name it and its definition can be hashed on its own; the
 * built-ins cover what users ask of every partition (a field present, a
 * numeric range, a count not collapsing overnight, a unique key), and one
 * `custom` type takes a function for anything else. Checks look at one
 * stored result at a time (plus a running count or a set of seen values),
 * so they stream over results of any size.
 */

/** 'error' fails the computation-date (its dependents are blocked); 'warn' records and reports only. (Default: 'error') */
const severity = z.enum(['error', 'warn'], { error: "must be 'error' or 'warn'" }).default('error');
const name = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
/** A field of the result, dotted for nested fields: 'total', 'stats.count'. */
const field = z.string({ error: 'must be a field name such as total or stats.count' }).min(1, 'must not be empty');

const notNull = z
  .object({ type: z.literal('notNull'), field, name: name.optional(), severity }, { error: 'must be an object' })
  .strict();

const range = z
  .object(
    {
      type: z.literal('range'),
      field,
      /** Smallest allowed value, inclusive. (Default: no lower bound) */
      min: z.number({ error: 'must be a number' }).optional(),
      /** Largest allowed value, inclusive. (Default: no upper bound) */
      max: z.number({ error: 'must be a number' }).optional(),
      name: name.optional(),
      severity,
    },
    { error: 'must be an object' },
  )
  .strict()
  .refine((check) => check.min !== undefined || check.max !== undefined, {
    error: 'needs min, max or both',
  });

const count = z
  .object(
    {
      type: z.literal('count'),
      /** Allowed change against the previous date's number of results, as a fraction: 0.5 allows 50 to 150 after 100. */
      within: z.number({ error: 'must be a fraction such as 0.5' }).min(0, 'must be 0 or more'),
      name: name.optional(),
      severity,
    },
    { error: 'must be an object' },
  )
  .strict();

const unique = z
  .object({ type: z.literal('unique'), field, name: name.optional(), severity }, { error: 'must be an object' })
  .strict();

/** A result passes when the function returns true or nothing; false or a message fails it. */
export type CustomCheckFunction = (result: unknown, entityId: string) => boolean | string | void | undefined;

const custom = z
  .object(
    {
      type: z.literal('custom'),
      /** Required: a custom check has no natural name. */
      name,
      check: z.custom<CustomCheckFunction>((value) => typeof value === 'function', {
        error: 'must be a function (result, entityId) => true | false | message',
      }),
      severity,
    },
    { error: 'must be an object' },
  )
  .strict();

export const checkSchema = z.discriminatedUnion('type', [notNull, range, count, unique, custom], {
  error: "must be a check: { type: 'notNull' | 'range' | 'count' | 'unique' | 'custom', ... }",
});

export const checksSchema = z
  .array(checkSchema, { error: 'must be a list of checks' })
  .default([])
  .superRefine((checks, context) => {
    const seen = new Set<string>();
    checks.forEach((check, index) => {
      const label = checkName(check);
      if (seen.has(label))
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `repeats the check name '${label}'; give each check its own name`,
        });
      seen.add(label);
    });
  });

export type CheckInput = z.input<typeof checkSchema>;
export type Check = z.output<typeof checkSchema>;

/** A check's name: its own, or one from its type and field, e.g. `range(total)`. */
export function checkName(check: Check): string {
  if (check.type === 'custom') return check.name;
  if (check.name !== undefined) return check.name;
  return check.type === 'count' ? 'count' : `${check.type}(${check.field})`;
}
