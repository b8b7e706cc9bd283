import { errorText, PoisonMessageError, UserError } from '../shared/errors.ts';
import type { BatchCompleted, PassReady } from '../shared/events/contracts.ts';
import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import type { IsoDate } from '../shared/model/types.ts';
import { decide, previousDate, type Decision } from '../shared/plan/decide.ts';
import {
  leaseIsStale,
  StaleLeaseError,
  type BatchPlan,
  type FinalStatus,
  type Lease,
  type LedgerKey,
  type LedgerSummary,
  type RunRecord,
} from '../shared/ports/state-store.ts';
import { ownerIsDeadHere } from '../shared/runtime/owner.ts';
import { batchPrefix, ledgerKey } from '../shared/runtime/batch-files.ts';
import { forEachLimited, type ServicePorts } from '../shared/runtime/ports.ts';
import { writeState, type StateFields } from '../shared/runtime/state-writes.ts';
import { finalizeBatches } from './finalize.ts';
import { fanOut, latestAttempt, publishBatches, publishNext } from './fan-out.ts';
import { runGlobal, type RunOutcome } from './global-run.ts';
import { takeLease } from './lease.ts';

/** The executor: decides, leases and runs computations; fans per-entity work out and in. */
export interface Executor {
  onPassReady(event: PassReady): Promise<void>;
  onBatchCompleted(event: BatchCompleted): Promise<void>;
}

/** Tries of one computation in one run before an error that keeps coming back fails it. */
const MAX_TRIES = 3;

/** One fan-out attempt as this process knows it. Sealed plans never change, so they are kept. */
interface FanOutMemo {
  attempt: number;
  /** The sealed plan, once known. */
  plan: BatchPlan | null;
  /** Every batch is published: completions have no publishing left to do. */
  allPublished: boolean;
  /** This process republished a dead executor's unfinished batches. */
  resumed: boolean;
}

/** One computation on one date in one run: the key of the per-process memos and guards. */
function computationRunId(runId: string, date: IsoDate, computation: string): string {
  return `${runId}/${date}/${computation}`;
}

export function createExecutor(ports: ServicePorts): Executor {
  const { state, bus, clock, manifest, settings } = ports;
  /** Finalizations running in this process: a duplicate completion must not start a second one. */
  const finalizing = new Set<string>();
  /** What this process knows of the fan-out of each running (run, date, computation). */
  const fanOuts = new Map<string, FanOutMemo>();
  /**
   * Outcomes this process has announced. Late completions of a finished
   * computation announce it again only when this process has not (the first
   * announcement may have been lost with a crashed executor); otherwise each
   * late batch would re-announce it and wake the planner for nothing.
   */
  const announced = new Set<string>();

  async function complete(
    runId: string,
    entry: ManifestEntry,
    date: IsoDate,
    status: 'completed' | 'skipped' | 'blocked' | 'impossible' | 'failed',
  ): Promise<void> {
    await bus.publish({
      v: 1,
      type: 'computation.completed',
      runId,
      date,
      computation: entry.name,
      pass: entry.pass,
      status,
    });
    if (announced.size > 10_000) announced.clear();
    announced.add(computationRunId(runId, date, entry.name));
  }

  /** The memo of a fan-out attempt; a newer attempt (after a takeover) starts a fresh one. */
  function memo(runId: string, date: IsoDate, computation: string, attempt: number): FanOutMemo {
    const id = computationRunId(runId, date, computation);
    let known = fanOuts.get(id);
    if (known === undefined || known.attempt !== attempt) {
      // Memos are hints: dropping them all only costs reads.
      if (fanOuts.size > 10_000) fanOuts.clear();
      known = { attempt, plan: null, allPublished: false, resumed: false };
      fanOuts.set(id, known);
    }
    return known;
  }

  /** Keeps a sealed plan (and whether all of it is published) so completions need not read it again. */
  function remember(known: FanOutMemo, plan: BatchPlan, allPublished: boolean): void {
    if (!plan.sealed) return;
    known.plan = plan;
    known.allPublished ||= allPublished;
  }

  /** Writes a final state under the lease, releases it and announces the outcome. */
  async function finish(
    runId: string,
    entry: ManifestEntry,
    date: IsoDate,
    lease: Lease,
    fields: StateFields & { status: 'completed' | 'skipped' | 'blocked' | 'impossible' | 'failed' },
  ): Promise<void> {
    await writeState(state, entry, date, runId, clock.now(), fields, lease);
    await state.leases.release(lease);
    const log = ports.log.child({ runId, date, computation: entry.name });
    if (fields.status === 'failed') log.error({ error: fields.error }, `${entry.name} failed on ${date}`);
    else
      log.info({ status: fields.status, reason: fields.reason ?? null }, `${entry.name} ${fields.status} on ${date}`);
    await complete(runId, entry, date, fields.status);
    fanOuts.delete(computationRunId(runId, date, entry.name));
    // Cleanup last and best-effort: late batches may still be writing here, and the outcome is already announced.
    if (fields.status !== 'skipped' && fields.status !== 'blocked') {
      await ports.blobs
        .deletePrefix(batchPrefix(runId, entry.name, date))
        .catch((error: unknown) =>
          log.warn({ error: String(error) }, 'Could not delete batch blobs; they are garbage now'),
        );
    }
  }

  async function finishWith(
    runId: string,
    entry: ManifestEntry,
    date: IsoDate,
    lease: Lease,
    decision: Decision,
    outcome: RunOutcome,
    bytes: number | null,
  ): Promise<void> {
    const base = { compositeHash: decision.compositeHash, components: decision.components, bytesScanned: bytes };
    if (outcome.status === 'impossible')
      return finish(runId, entry, date, lease, {
        ...base,
        status: 'impossible',
        reason: outcome.reason,
        resultHash: null,
      });
    if (outcome.status === 'failed')
      return finish(runId, entry, date, lease, {
        ...base,
        status: 'failed',
        error: outcome.error,
        resultHash: null,
        ...(outcome.counts === undefined ? {} : { counts: outcome.counts }),
      });
    return finish(runId, entry, date, lease, {
      ...base,
      status: 'completed',
      resultHash: outcome.resultHash,
      counts: {
        planned: outcome.planned,
        succeeded: outcome.succeeded,
        failed: outcome.failed,
        stored: outcome.stored,
      },
      reason: outcome.failures,
    });
  }

  async function decideFor(run: RunRecord, entry: ManifestEntry, date: IsoDate): Promise<Decision> {
    const [stored, previous] = await Promise.all([
      state.states.get(date, entry.name),
      entry.config.isHistorical ? state.states.get(previousDate(date), entry.name) : Promise.resolve(null),
    ]);
    const deps = new Map(
      await Promise.all(
        entry.config.dependencies.map(async (name) => [name, await state.states.get(date, name)] as const),
      ),
    );
    return decide({
      manifest,
      entry,
      date,
      force: run.force,
      stored,
      previous,
      dependency: (name) => ({ kind: 'final', state: deps.get(name) ?? null }),
    });
  }

  async function startComputation(run: RunRecord, entry: ManifestEntry, date: IsoDate): Promise<void> {
    const runId = run.runId;
    const log = ports.log.child({ runId, date, computation: entry.name });
    const current = await state.states.get(date, entry.name);
    if (current?.runId === runId && current.status !== 'running' && current.status !== 'pending') {
      // A redelivered pass.ready after this computation finished: say so again, change nothing.
      await complete(runId, entry, date, current.status);
      return;
    }
    // Skips and blocks change nothing stored but the state, so they need no lease: a no-op re-run stays cheap.
    if (!(current?.runId === runId && current.status === 'running')) {
      const early = await decideFor(run, entry, date);
      if (early.decision === 'skip' || early.decision === 'blocked') {
        const fields =
          early.decision === 'skip'
            ? {
                status: 'skipped' as const,
                compositeHash: early.compositeHash,
                components: early.components,
                reason: early.reasons.join('; '),
              }
            : { status: 'blocked' as const, reason: early.reasons.join('; '), resultHash: null };
        await writeState(state, entry, date, runId, clock.now(), fields);
        log.info({ status: fields.status, reason: fields.reason }, `${entry.name} ${fields.status} on ${date}`);
        await complete(runId, entry, date, fields.status);
        return;
      }
    }
    const taken = await takeLease(ports, { computation: entry.name, date });
    if (!('lease' in taken)) {
      if (current !== null && current.runId !== runId) {
        // Another run holds it: this run cannot wait for it, so it reports it as blocked (storing nothing).
        log.warn(
          { holder: taken.holder.owner, otherRun: current.runId },
          `${entry.name} on ${date} is being run by run ${current.runId}; counted as blocked in this run`,
        );
        await complete(runId, entry, date, 'blocked');
        return;
      }
      log.info(
        { holder: taken.holder.owner },
        `${entry.name} on ${date} is being run by another executor of this run; leaving it to it`,
      );
      return;
    }
    try {
      await runUnderLease(run, entry, date, taken.lease);
    } catch (error) {
      // Let the redelivered pass.ready start over instead of finding its own lease in the way.
      if (!(error instanceof StaleLeaseError)) await state.leases.release(taken.lease);
      throw error;
    }
  }

  async function runUnderLease(run: RunRecord, entry: ManifestEntry, date: IsoDate, lease: Lease): Promise<void> {
    const runId = run.runId;
    const log = ports.log.child({ runId, date, computation: entry.name });
    // Read again under the lease: a duplicate delivery may have finished it in the meantime.
    const current = await state.states.get(date, entry.name);
    if (current?.runId === runId && current.status !== 'running' && current.status !== 'pending') {
      await state.leases.release(lease);
      await complete(runId, entry, date, current.status);
      return;
    }
    // Resume a fan-out this run had fully planned before a crash; one cut short is redone as a new attempt.
    if (current?.runId === runId && current.status === 'running') {
      const attempt = await latestAttempt(ports, runId, date, entry.name);
      const plan = attempt === null ? null : await state.ledger.getPlan(ledgerKey(runId, entry.name, date, attempt));
      if (attempt !== null && plan !== null && plan.sealed) {
        log.warn(
          { batches: plan.batches.length, attempt },
          `Resuming ${entry.name} on ${date} from its recorded batch plan`,
        );
        await writeState(state, entry, date, runId, clock.now(), { status: 'running' }, lease);
        const sent = await publishBatches(ports, entry, runId, date, attempt, lease, { republish: true });
        if (sent !== 'lease-lost') remember(memo(runId, date, entry.name, attempt), sent.plan, sent.allPublished);
        await advance(runId, entry, date, attempt, lease);
        return;
      }
    }
    const decision = await decideFor(run, entry, date);
    if (decision.decision === 'skip')
      return finish(runId, entry, date, lease, {
        status: 'skipped',
        compositeHash: decision.compositeHash,
        components: decision.components,
        reason: decision.reasons.join('; '),
      });
    if (decision.decision === 'blocked')
      return finish(runId, entry, date, lease, {
        status: 'blocked',
        reason: decision.reasons.join('; '),
        resultHash: null,
      });

    log.info({ changed: decision.changed, reasons: decision.reasons }, `Running ${entry.name} on ${date}`);
    const { reads, problems } = await ports.reader.plan(entry, date);
    if (problems.length > 0) {
      const error = new UserError('QUERY_INVALID', problems.map((p) => p.message).join(' '));
      return finish(runId, entry, date, lease, {
        status: 'failed',
        error: error.message,
        compositeHash: decision.compositeHash,
        components: decision.components,
        resultHash: null,
      });
    }
    const bytes = reads.length > 0 ? (await ports.reader.estimate(reads)).totalBytes : null;
    await writeState(
      state,
      entry,
      date,
      runId,
      clock.now(),
      {
        status: 'running',
        compositeHash: decision.compositeHash,
        components: decision.components,
        startedAt: clock.now().toISOString(),
        bytesScanned: bytes,
      },
      lease,
    );
    if (entry.config.type === 'global') {
      return finishWith(
        runId,
        entry,
        date,
        lease,
        decision,
        await runGlobal(ports, entry, date, runId, lease, reads),
        bytes,
      );
    }
    const fanned = await fanOut(ports, entry, date, runId, reads, lease);
    if ('impossible' in fanned)
      return finishWith(
        runId,
        entry,
        date,
        lease,
        decision,
        { status: 'impossible', reason: fanned.impossible },
        bytes,
      );
    log.info(
      { batches: fanned.plan.batches.length, entities: fanned.plan.entityCount },
      `Fanned ${entry.name} out in ${fanned.plan.batches.length} batch(es)`,
    );
    // The last batches may have completed before the plan was sealed: check now.
    if (fanned.plan.sealed) {
      remember(memo(runId, date, entry.name, fanned.attempt), fanned.plan, fanned.allPublished);
      await advance(runId, entry, date, fanned.attempt, lease);
    }
  }

  /** Fails a computation whose failed share passed the threshold, once, quoting a few of its entity errors. */
  async function tripBreaker(
    runId: string,
    entry: ManifestEntry,
    date: IsoDate,
    key: LedgerKey,
    lease: Lease,
    summary: LedgerSummary,
    plan: BatchPlan | null,
  ): Promise<void> {
    const current = await runningState(runId, entry, date);
    if (current === null || !(await state.runs.claimStep(runId, `breaker/${date}/${entry.name}`))) return;
    const processed = summary.succeeded + summary.failed;
    const samples = (await state.ledger.batches(key))
      .flatMap((record) => record.errors)
      .slice(0, 3)
      .map((e) => `${e.entityId}: ${e.error}`);
    const error = `CIRCUIT BREAKER TRIPPED: ${summary.failed} of ${processed} entities failed (threshold ${Math.round(settings.breakerThreshold * 100)}%); no further batches were published. ${samples.join('; ')}`;
    ports.log.error({ runId, date, computation: entry.name, failed: summary.failed, processed }, error);
    const decision = { compositeHash: current.compositeHash, components: current.components } as Decision;
    const counts =
      plan === null
        ? undefined
        : { planned: plan.entityCount, succeeded: summary.succeeded, failed: summary.failed, stored: 0 };
    return finishWith(runId, entry, date, lease, decision, { status: 'failed', error, counts }, current.bytesScanned);
  }

  /** The computation's state when it is still running in this run, else null. */
  async function runningState(runId: string, entry: ManifestEntry, date: IsoDate) {
    const current = await state.states.get(date, entry.name);
    return current !== null && current.runId === runId && current.status === 'running' ? current : null;
  }

  /**
   * Moves a fan-out on after a batch completes (or its plan is sealed): trips
   * the circuit breaker, publishes more batches, or finalizes once every
   * planned batch of a sealed plan is recorded. Exactly one finalizer runs.
   * A completion whose fan-out is all published and not yet done costs one
   * aggregation (and the lease read beside it), nothing more.
   */
  async function advance(
    runId: string,
    entry: ManifestEntry,
    date: IsoDate,
    attempt: number,
    lease: Lease,
    known?: LedgerSummary,
  ): Promise<void> {
    const key = ledgerKey(runId, entry.name, date, attempt);
    const progress = memo(runId, date, entry.name, attempt);
    const summary = known ?? (await state.ledger.summary(key));
    const processed = summary.succeeded + summary.failed;
    const tooMany = processed > 0 && summary.failed / processed > settings.breakerThreshold;
    if (tooMany && processed >= settings.breakerMinEntities)
      return tripBreaker(runId, entry, date, key, lease, summary, progress.plan);
    if (!progress.allPublished) {
      if (known === undefined) {
        // Just sealed or resumed: fill the window.
        const sent = await publishBatches(ports, entry, runId, date, attempt, lease);
        if (sent === 'lease-lost') return;
        remember(progress, sent.plan, sent.allPublished);
      } else {
        // A completion. While the fan-out is still reading, it fills the window itself;
        // once the plan is sealed, each batch done sends the next held-back one.
        // Until it is sealed, ask only whether it is (one read), not for every planned batch.
        const read = progress.plan ?? ((await state.ledger.isSealed(key)) ? await state.ledger.getPlan(key) : null);
        if (read === null || !read.sealed) return;
        remember(progress, read, (await publishNext(ports, entry, runId, date, attempt, lease)) === 0);
      }
    }
    const plan = progress.plan;
    if (plan === null || summary.completed < plan.batches.length) return;
    // The minimum volume only delays an early trip: at the end the share is judged whatever the size.
    if (tooMany) return tripBreaker(runId, entry, date, key, lease, summary, plan);
    // Taken before anything is awaited: two completions handled side by side must not both finalize.
    const guard = computationRunId(runId, date, entry.name);
    if (finalizing.has(guard)) return;
    finalizing.add(guard);
    try {
      const current = await runningState(runId, entry, date);
      if (current === null) return;
      let claim = await state.ledger.claimFinalization(key, settings.ownerId);
      // A finalizer that died half-way would block the computation: take its claim over
      // when its process is gone from this machine, or its lease has gone stale.
      if (!claim.claimed && (ownerIsDeadHere(claim.holder) || leaseIsStale(lease, settings.leaseTtlMs, clock.now()))) {
        ports.log.warn(
          { runId, date, computation: entry.name, deadFinalizer: claim.holder },
          `Taking over the finalization of ${entry.name} on ${date} from a finalizer that died`,
        );
        claim = await state.ledger.claimFinalization(key, settings.ownerId, claim.holder);
      }
      if (!claim.claimed) return;
      const decision = { compositeHash: current.compositeHash, components: current.components } as Decision;
      return await finishWith(
        runId,
        entry,
        date,
        lease,
        decision,
        await finalizeBatches(ports, entry, plan, lease),
        current.bytesScanned,
      );
    } catch (error) {
      if (error instanceof StaleLeaseError) return;
      throw error;
    } finally {
      finalizing.delete(guard);
    }
  }

  async function onPassReady(event: PassReady): Promise<void> {
    const run = await state.runs.get(event.runId);
    if (run === null)
      throw new PoisonMessageError(
        'UNKNOWN_RUN',
        `pass.ready names run ${event.runId}, which the state store does not hold (the planner records a run before it publishes its passes)`,
      );
    const names = (manifest.passes[event.pass] ?? []).filter(
      (name) => run.computations === null || run.computations.includes(name),
    );
    // One computation's error never stops the others: it is retried with the pass, then fails alone.
    let retry: { error: unknown } | null = null;
    await forEachLimited(names, settings.computationConcurrency, async (name) => {
      const entry = manifest.byName.get(name)!;
      try {
        await startComputation(run, entry, event.date);
      } catch (error) {
        if (error instanceof StaleLeaseError) {
          ports.log.warn({ runId: run.runId, computation: name, date: event.date }, error.message);
          return;
        }
        try {
          await failOrRetry(run.runId, entry, event.date, error);
        } catch (again) {
          retry ??= { error: again };
        }
      }
    });
    if (retry !== null) throw (retry as { error: unknown }).error;
  }

  /**
   * After an error while a computation ran: rethrows it (so the event is
   * redelivered) while tries are left and a retry can help, else fails the
   * computation with the error and announces it, so the run goes on.
   */
  async function failOrRetry(
    runId: string,
    entry: ManifestEntry,
    date: IsoDate,
    error: unknown,
    held?: Lease,
  ): Promise<void> {
    const log = ports.log.child({ runId, date, computation: entry.name });
    const text = errorText(error);
    const tries = error instanceof UserError ? 1 : await countTry(runId, `tries/${date}/${entry.name}`);
    if (!(error instanceof UserError) && tries < MAX_TRIES) {
      log.warn(
        { error: text, tries },
        `${entry.name} on ${date} hit an error (try ${tries} of ${MAX_TRIES}); retrying: ${text}`,
      );
      throw error;
    }
    const taken = held !== undefined ? { lease: held } : await takeLease(ports, { computation: entry.name, date });
    if (!('lease' in taken)) {
      log.warn(
        { holder: taken.holder.owner },
        `${entry.name} on ${date} failed here but is held by another executor; leaving it to it`,
      );
      return;
    }
    if ((await runningState(runId, entry, date)) === null) {
      const current = await state.states.get(date, entry.name);
      if (current !== null && current.runId === runId && current.status !== 'pending') {
        await state.leases.release(taken.lease);
        return complete(runId, entry, date, current.status as FinalStatus);
      }
    }
    await finish(runId, entry, date, taken.lease, {
      status: 'failed',
      error: tries > 1 ? `${text} (after ${tries} tries)` : text,
      resultHash: null,
    });
  }

  /** Counts one more try of a step in a run (1, 2, ...), across processes; at most MAX_TRIES. */
  async function countTry(runId: string, prefix: string): Promise<number> {
    for (let n = 1; n < MAX_TRIES; n++) if (await state.runs.claimStep(runId, `${prefix}/${n}`)) return n;
    return MAX_TRIES;
  }

  async function onBatchCompleted(event: BatchCompleted): Promise<void> {
    const entry = manifest.byName.get(event.computation);
    if (entry === undefined) return;
    const key = ledgerKey(event.runId, event.computation, event.date, event.attempt);
    // The worker recorded its batch before announcing it, so this count includes it.
    const [lease, summary] = await Promise.all([
      state.leases.get({ computation: event.computation, date: event.date }),
      state.ledger.summary(key),
    ]);
    // Only the current holder's batches count: anything else is late or stale.
    if (lease === null || lease.token !== event.leaseToken || lease.released) {
      if (announced.has(computationRunId(event.runId, event.date, event.computation))) return;
      // If the computation already finished in this run, say so again: the first announcement may have been lost.
      const done = await state.states.get(event.date, event.computation);
      if (done !== null && done.runId === event.runId && done.status !== 'running' && done.status !== 'pending')
        await complete(event.runId, entry, event.date, done.status);
      return;
    }
    // Heartbeat at most every tenth of the lease's life, not on every batch.
    if (clock.now().getTime() - Date.parse(lease.heartbeatAt ?? lease.acquiredAt) > settings.leaseTtlMs / 10)
      await state.leases.renew(lease, clock.now());
    // The executor that fanned this out died: a batch it claimed may never have been
    // published. Send every claimed, unfinished batch again, once (workers ignore repeats).
    const progress = memo(event.runId, event.date, event.computation, event.attempt);
    if (
      !progress.resumed &&
      (ownerIsDeadHere(lease.owner) || leaseIsStale(lease, settings.leaseTtlMs, clock.now())) &&
      (progress.plan !== null || (await state.ledger.isSealed(key)))
    ) {
      progress.resumed = true;
      ports.log.warn(
        { runId: event.runId, date: event.date, computation: event.computation, deadOwner: lease.owner },
        `Resuming ${event.computation} on ${event.date} after its executor died: republishing unfinished batches`,
      );
      const sent = await publishBatches(ports, entry, event.runId, event.date, event.attempt, lease, {
        republish: true,
      });
      if (sent !== 'lease-lost') remember(progress, sent.plan, sent.allPublished);
    }
    try {
      await advance(event.runId, entry, event.date, event.attempt, lease, summary);
    } catch (error) {
      if (error instanceof StaleLeaseError) return;
      await failOrRetry(event.runId, entry, event.date, error, lease);
    }
  }

  return { onPassReady, onBatchCompleted };
}
