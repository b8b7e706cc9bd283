import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VersionSkewError } from '../../../shared/errors.ts';
import { createWorker, type Worker } from '../../../worker/worker.ts';
import { InProcessBus } from '../../../shared/adapters/inprocess/inprocess-bus.ts';
import { LocalBlobStore } from '../../../shared/adapters/local/local-blob-store.ts';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.ts';
import { PoisonMessageError } from '../../../shared/errors.ts';
import type { BatchReady } from '../../../shared/events/contracts.ts';
import { parseEvent } from '../../../shared/events/parse.ts';
import { silentLogger } from '../../../shared/logging/logger.ts';
import type { Manifest } from '../../../shared/manifest/manifest.ts';
import { systemClock } from '../../../shared/ports/clock.ts';
import { settingsFor } from '../../../shared/runtime/service-ports.ts';
import { acquireLease } from '../../../shared/state/leases.ts';
import { entry } from '../../support/entries.ts';

const event: BatchReady = {
  v: 1,
  type: 'batch.ready',
  runId: 'r1',
  date: '2026-01-26',
  computation: 'Totals',
  batchId: 'b000000',
  index: 0,
  contextBlob: 'runs/r1/Totals/2026-01-26/a1/b000000.context.json',
  codeHash: 'code',
  leaseToken: 1,
  attempt: 1,
};

describe('worker', () => {
  let folder: string;
  let worker: Worker;
  let bus: InProcessBus;
  let state: SqliteStateStore;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'compute-worker-'));
    const totals = entry({ name: 'Totals', type: 'per-entity' });
    const manifest = { byName: new Map([['Totals', totals]]) } as unknown as Manifest;
    bus = new InProcessBus();
    state = new SqliteStateStore(join(folder, 'state.sqlite'));
    worker = createWorker({
      manifest,
      state,
      blobs: new LocalBlobStore(join(folder, 'blobs')),
      bus,
      log: silentLogger(),
      clock: systemClock,
      settings: settingsFor({}, 'test-worker'),
    });
    // Every batch below belongs to run r1, over 2026-01-26: the worker checks its batches against it.
    await state.runs.create({
      runId: 'r1',
      dates: ['2026-01-26'],
      trigger: 'cli',
      computations: null,
      force: false,
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: {},
    });
  });
  afterAll(async () => {
    await state.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('refuses a batch planned with other code while its attempt runs, with a version-skew error; acknowledges it once superseded', async () => {
    const key = { computation: 'Totals', date: '2026-01-26' };
    const first = await acquireLease(state.leases, key, 'executor-a', new Date(), () => false);
    expect(first).toMatchObject({ acquired: true, lease: { attempt: 1 } });
    const error = await worker.onBatchReady({ ...event, codeHash: 'other-code-hash' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionSkewError);
    expect((error as Error).message).toBe(
      'Version skew: batch of Totals was planned with code other-code-h, this worker runs code. Deploy the same code to every service; the batch is left for a worker that has it.',
    );
    // The executor re-planned under new code: attempt 2. The old batch is acknowledged, publishing nothing.
    await acquireLease(state.leases, key, 'executor-b', new Date(), () => true);
    await expect(worker.onBatchReady({ ...event, codeHash: 'other-code-hash' })).resolves.toBeUndefined();
    expect(bus.published).toEqual([]);
  });

  it('refuses a forged batch of a run that does not exist or of a date its run does not cover, running nothing', async () => {
    const inline = { ...event, context: { v: 1 as const, batchId: 'b000000', computation: 'Totals', entities: [] } };
    const unknownRun = await worker.onBatchReady({ ...inline, runId: 'forged' }).catch((e: unknown) => e);
    expect(unknownRun).toBeInstanceOf(PoisonMessageError);
    expect((unknownRun as Error).message).toBe('batch.ready for run forged refused: the state store holds no such run');
    const otherDate = await worker.onBatchReady({ ...inline, date: '2026-01-27' }).catch((e: unknown) => e);
    expect((otherDate as Error).message).toBe('batch.ready for run r1 refused: the run does not cover 2026-01-27');
    expect(bus.published).toEqual([]);
  });

  it('treats a batch of an unknown computation as poison', async () => {
    await expect(worker.onBatchReady({ ...event, computation: 'Nope' })).rejects.toBeInstanceOf(PoisonMessageError);
  });

  it('acknowledges a late duplicate whose context is gone, publishing nothing', async () => {
    await worker.onBatchReady(event);
    expect(bus.published).toEqual([]);
  });

  it("heartbeats its computation's lease while a batch runs, so the watchdog leaves a busy fan-out alone", async () => {
    const slow = {
      ...entry({ name: 'Slow', type: 'per-entity' }),
      Class: class {
        async process(): Promise<number> {
          await new Promise((resolve) => setTimeout(resolve, 600));
          return 1;
        }
      } as never,
    };
    const slowWorker = createWorker({
      manifest: { byName: new Map([['Slow', slow]]) } as unknown as Manifest,
      state,
      blobs: new LocalBlobStore(join(folder, 'blobs')),
      bus: new InProcessBus(),
      log: silentLogger(),
      clock: systemClock,
      // A one-second staleness: heartbeats every 200 ms.
      settings: settingsFor({ leaseTtlSeconds: 1 }, 'test-worker'),
    });
    const key = { computation: 'Slow', date: '2026-01-26' };
    const taken = await acquireLease(state.leases, key, 'executor-a', new Date(), () => false);
    if (!taken.acquired) throw new Error('expected the lease');
    const slowEvent: BatchReady = {
      ...event,
      computation: 'Slow',
      contextBlob: 'runs/r1/Slow/2026-01-26/a1/b000000.context.json',
      context: {
        v: 1,
        runId: 'r1',
        computation: 'Slow',
        date: '2026-01-26',
        batchId: 'b000000',
        codeHash: 'code',
        globals: {},
        entities: [{ entityId: 'u1', data: {}, dependencies: {}, previous: null }],
      },
    };
    await slowWorker.onBatchReady(slowEvent);
    expect((await state.leases.get(key))!.heartbeatAt).not.toBeNull();
  });
});

describe('parseEvent', () => {
  it('accepts a valid event and fills defaults', () => {
    expect(parseEvent({ v: 1, type: 'run.requested', runId: 'r', dates: ['2026-01-26'] })).toEqual({
      v: 1,
      type: 'run.requested',
      runId: 'r',
      dates: ['2026-01-26'],
      computations: null,
      force: false,
      trigger: 'manual',
    });
  });

  it('names the bad field of an invalid event, as poison', () => {
    const error = (() => {
      try {
        parseEvent({ v: 1, type: 'pass.ready', runId: 'r', date: '26/01/2026', pass: 0 }, 'm-17');
      } catch (e) {
        return e as PoisonMessageError;
      }
    })();
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(error!.message).toBe(
      "Invalid event 'pass.ready' (message m-17): field 'date' must be a date as YYYY-MM-DD, e.g. 2026-01-26",
    );
    expect(error!.messageId).toBe('m-17');
  });

  it('refuses a date that is not on the calendar, in events and in run messages', () => {
    expect(() => parseEvent({ v: 1, type: 'pass.ready', runId: 'r', date: '2026-02-30', pass: 0 })).toThrow(
      "field 'date' is 2026-02-30, which is not a date on the calendar",
    );
    expect(parseEvent({ v: 1, type: 'pass.ready', runId: 'r', date: '2028-02-29', pass: 0 })).toMatchObject({
      date: '2028-02-29',
    });
  });

  it('rejects an unknown type and a non-object', () => {
    expect(() => parseEvent({ v: 1, type: 'coffee.ready', runId: 'r' })).toThrow(PoisonMessageError);
    expect(() => parseEvent({ v: 1, type: 'coffee.ready', runId: 'r' })).toThrow(
      "field 'type' must be one of run.requested, sweep.requested, pass.ready, batch.ready, batch.completed, computation.completed, run.completed",
    );
    expect(() => parseEvent('hello')).toThrow(/Invalid message/);
  });
});
