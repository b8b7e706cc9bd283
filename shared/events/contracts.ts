import { z } from 'zod';
import { isoDateSchema } from '../model/iso-date.ts';
import { FINAL_STATUSES } from '../ports/state-store.ts';
import { isBatchBlob } from './blob-keys.ts';
import { isRunId } from './run-id.ts';

/**
 * Every event the services exchange. One zod schema per type, each with a
 * version field; a message that does not parse is poison (acked and
 * logged, never retried).
 */
const isoDate = isoDateSchema;

export { isRunId };

/** Longest computation name, batch id or owner id a message may carry. (Fixed) */
export const MAX_NAME_CHARS = 200;
/** Most computations one run request may name (after removing repeats). (Fixed) */
export const MAX_RUN_COMPUTATIONS = 1000;

const name = z.string().min(1).max(MAX_NAME_CHARS);
const runId = z.string().refine(isRunId, {
  error: "must be 1 to 128 characters of letters, digits, '.', '_' and '-' (not '.' or '..')",
});
const base = { v: z.literal(1), runId };

export const runRequested = z.object({
  ...base,
  type: z.literal('run.requested'),
  /** Dates in the order they run. */
  dates: z.array(isoDate).min(1),
  /** Computations to run; null runs all. */
  computations: z.array(name).max(MAX_RUN_COMPUTATIONS).nullable().default(null),
  force: z.boolean().default(false),
  /**
   * Also re-examine the project's `repairDays` dates before the run's dates
   * (`compute run --repair`, `"repair": true`; a scheduled run always
   * does). (Default: absent, false)
   */
  repair: z.boolean().optional(),
  /** 'cli', 'scheduler', 'manual', 'api'. */
  trigger: z.string().max(40).default('manual'),
  /**
   * A scheduled run's time, 'HH:MM' UTC: the run holds only the computations
   * scheduled at that time and due on its dates. (Default: absent, every selected computation)
   */
  schedule: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day as 'HH:MM'")
    .nullable()
    .optional(),
});

export const passReady = z.object({
  ...base,
  type: z.literal('pass.ready'),
  date: isoDate,
  pass: z.number().int().min(0),
  /** An owner id whose leases the executor may take over however fresh their heartbeat: the sender knows that process is idle (the embedded run loop, once its bus is quiet). */
  reclaim: name.optional(),
});

/**
 * The watchdog: find runs and computations whose holder is gone and drive
 * them on. Published to the runs topic as {"action": "sweep"} (Cloud
 * Scheduler every few minutes; `compute sweep` by hand).
 */
export const sweepRequested = z.object({
  ...base,
  type: z.literal('sweep.requested'),
  /** See pass.ready's `reclaim`. */
  reclaim: name.optional(),
});

export const batchReady = z
  .object({
    ...base,
    type: z.literal('batch.ready'),
    date: isoDate,
    computation: name,
    batchId: name,
    index: z.number().int().min(0),
    /** Blob holding the batch context (claim check: messages stay small). */
    contextBlob: z.string().max(1024),
    /** The batch context itself, when small (see INLINE_BYTES); the blob holds it too. */
    context: z
      .object({ v: z.literal(1), batchId: name, computation: name, entities: z.array(z.unknown()) })
      .loose()
      .optional(),
    /** Code hash the batch was planned with; a worker with other code refuses it. */
    codeHash: z.string().max(128),
    /** Fencing token of the executor's lease: completions under an older token are ignored. */
    leaseToken: z.number().int(),
    /** Which fan-out of the computation this batch belongs to (a fan-out cut short by a crash is redone as a new attempt). */
    attempt: z.number().int().min(0),
  })
  .refine((event) => isBatchBlob(event.contextBlob, event.runId, event.computation, event.date), {
    error: "contextBlob must be a blob of the batch's own run, computation and date",
    path: ['contextBlob'],
  });

export const batchCompleted = z.object({
  ...base,
  type: z.literal('batch.completed'),
  date: isoDate,
  computation: name,
  batchId: name,
  leaseToken: z.number().int(),
  attempt: z.number().int().min(0),
  succeeded: z.number().int().min(0),
  failed: z.number().int().min(0),
});

export const computationCompleted = z.object({
  ...base,
  type: z.literal('computation.completed'),
  date: isoDate,
  computation: name,
  pass: z.number().int().min(0),
  status: z.enum(FINAL_STATUSES),
});

export const runCompleted = z.object({
  ...base,
  type: z.literal('run.completed'),
  status: z.enum(['completed', 'failed']),
});

export const eventSchema = z.discriminatedUnion('type', [
  runRequested,
  sweepRequested,
  passReady,
  batchReady,
  batchCompleted,
  computationCompleted,
  runCompleted,
]);

export type RunRequested = z.output<typeof runRequested>;
export type PassReady = z.output<typeof passReady>;
export type SweepRequested = z.output<typeof sweepRequested>;
export type BatchReady = z.output<typeof batchReady>;
export type BatchCompleted = z.output<typeof batchCompleted>;
export type ComputationCompleted = z.output<typeof computationCompleted>;
export type RunCompleted = z.output<typeof runCompleted>;
export type ComputeEvent = z.output<typeof eventSchema>;
export type EventType = ComputeEvent['type'];

// The topic, service and handler of each event: routes.ts.
