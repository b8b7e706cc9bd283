import { errorText, isPermanent } from '../shared/errors.ts';
import type { BatchCompleted, PassReady } from '../shared/events/contracts.ts';
import type { ManifestEntry } from '../shared/manifest/manifest.ts';
import type { IsoDate } from '../shared/model/types.ts';
import { decide, isComplete, PARTIAL_DEPENDENCY_NOTE, previousDate, type Decision } from '../shared/plan/decide.ts';
import { isDue } from '../shared/schedule/due.ts';
import { repairReason } from '../shared/plan/repair.ts';
import {
  FINAL_STATUSES,
  StaleLeaseError,
  StaleStateError,
  type ComputationState,
  type FinalStatus,
  type Lease,
  type RunRecord,
} from '../shared/ports/state-store.ts';
import { ledgerKey } from '../shared/runtime/batch-files.ts';
import {
  forEachLimited,
  heartbeatEvery,
  pastComputationTimeout,
  timeoutsFor,
  type ServicePorts,
} from '../shared/runtime/ports.ts';
import { withHeartbeat } from '../shared/runtime/heartbeat.ts';
import { writeState } from '../shared/runtime/state-writes.ts';
import { inputVersionsFor, RunVersionScopes } from '../shared/runtime/input-versions.ts';
import { readsSharded } from '../shared/runtime/shard-batches.ts';
import { seconds } from '../shared/runtime/time-limit.ts';
import {
  acquireLease,
  attemptOf,
  driveAttempt,
  drivesAttempt,
  releaseLease,
  renewLease,
  silenceMs,
} from '../shared/state/leases.ts';
import { checkBatchEvent, checkPass, runOf } from '../shared/runtime/event-checks.ts';
import { runChecksOnly } from './checks-only.ts';
import { createCompletion } from './completion.ts';
import { latestAttempt, planFanOut, republishUnfinished, type FanOut } from './fan-out.ts';
import { runGlobal } from './global-run.ts';
import { takeLease, type TakeoverReasons } from './lease.ts';
import { committedOutcomeOf, createOutcomes } from './outcomes.ts';

/** The executor: decides, leases and runs computations; fans per-entity work out and in. */
export interface Executor {
  onPassReady: (event: PassReady) => Promise<void>;
  onBatchCompleted: (event: BatchCompleted) => Promise<void>;
}

/** Tries of one computation in one run before an error that keeps coming back fails it. */
const MAX_TRIES = 3;

/** Automatic runs (scheduled, repair) of one computation, date and composite hash before they leave it to a person. */
export const MAX_AUTOMATIC_TRIES = 3;

/** Whether automatic runs have tried this version of a computation-date often enough. */
function gaveUp(decision: Decision, stored: ComputationState | null): boolean {
  return (
    decision.decision === 'run' &&
    stored !== null &&
    !isComplete(stored) &&
    decision.compositeHash !== null &&
    stored.tries?.compositeHash === decision.compositeHash &&
    stored.tries.count >= MAX_AUTOMATIC_TRIES
  );
}

function isFinal(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** A final state another run wrote after `run` started: that run's word on what ran, not this one's to overwrite. */
function writtenByOtherRunSince(
  stored: ComputationState,
  run: RunRecord,
): stored is ComputationState & { status: FinalStatus } {
  return stored.runId !== run.runId && isFinal(stored.status) && stored.updatedAt >= run.startedAt;
}

export function createExecutor(ports: ServicePorts): Executor {
  const { state, clock, manifest, settings } = ports;
  const outcomes = createOutcomes(ports);
  const completion = createCompletion(ports, outcomes);
  /** Input-version lookups shared by the decisions of one run. */
  const versionScopes = ports.versionScopes ?? new RunVersionScopes(manifest);

  /** Decides a computation on a date; `stored` is its state, as the caller just read it. */
  async function decideFor(
    run: RunRecord,
    entry: ManifestEntry,
    date: IsoDate,
    stored: ComputationState | null,
  ): Promise<Decision> {
    const [previous, inputs, deps] = await Promise.all([
      entry.config.isHistorical ? state.states.get(previousDate(entry, date), entry.name) : Promise.resolve(null),
      inputVersionsFor(ports.reader, entry, date, versionScopes.forRun(run.runId)),
      Promise.all(entry.config.dependencies.map(async (name) => [name, await state.states.get(date, name)] as const)),
    ]);
    const byName = new Map(deps);
    return decide({
      manifest,
      entry,
      date,
      force: run.force,
      stored,
      previous,
      inputs,
      dependency: (name) => ({ kind: 'final', state: byName.get(name) ?? null }),
    });
  }

  /**
   * Drives one computation of a pass on: announces it again when it
   * finished in this run, records a skip or block without a lease, else
   * takes the lease (free, stale, or held by a holder that may be replaced:
   * see takeoverReason) and runs it, or takes a running one over. A live
   * holder is left alone; the watchdog comes back if it goes quiet.
   */
  async function drive(run: RunRecord, entry: ManifestEntry, date: IsoDate, reclaim?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await driveOnce(run, entry, date, reclaim);
      } catch (error) {
        // Another run wrote the state between this one's read and its write: decide again on what it wrote.
        if (!(error instanceof StaleStateError) || attempt >= 3) throw error;
      }
    }
  }

  async function driveOnce(run: RunRecord, entry: ManifestEntry, date: IsoDate, reclaim?: string): Promise<void> {
    const runId = run.runId;
    const log = ports.log.child({ runId, date, computation: entry.name });
    const current = await state.states.get(date, entry.name);
    if (current?.runId === runId && isFinal(current.status)) {
      // A redelivered pass.ready (or the watchdog) after this computation finished: say so again, change nothing.
      return outcomes.announce(runId, entry, date, current.status);
    }
    if (current !== null && writtenByOtherRunSince(current, run)) {
      // Another run (the same request delivered twice, two people asking for one date) finished it while
      // this run ran: its state says what ran, and this run reports it instead of overwriting it.
      log.info(
        { otherRun: current.runId, status: current.status },
        `${entry.name} on ${date} was ${current.status} by run ${current.runId} while this run ran; left as that run wrote it`,
      );
      return outcomes.announce(runId, entry, date, current.status);
    }
    const version = { updatedAt: current?.updatedAt ?? null };
    const mine = current?.runId === runId && current.status === 'running';
    const repairing = run.repairDates?.includes(date) === true;
    if (repairing && !mine && !isDue(entry.config.schedule, date)) {
      // Not due on this date of the repair window: not part of it, and nothing stored changes.
      return outcomes.announce(runId, entry, date, 'skipped');
    }
    // Skips and blocks change nothing stored but the state, so they need no lease: a no-op re-run stays cheap.
    if (!mine) {
      const early = await decideFor(run, entry, date, current);
      if (repairing && repairReason(early, current) === null) {
        // Nothing to repair on this earlier date: leave its state as it is.
        return outcomes.announce(runId, entry, date, 'skipped');
      }
      if (
        run.automatic === true &&
        !run.force &&
        current !== null &&
        isFinal(current.status) &&
        gaveUp(early, current)
      ) {
        const note = `${MAX_AUTOMATIC_TRIES} automatic tries of this version failed; scheduled runs leave it now. Run it by hand: compute run --date ${date} --computation ${entry.name} --force`;
        const status = current.status;
        if (current.reason !== note || current.runId !== runId)
          // Only the reason changes: its results, counts and failed entities stay what they are (a chain after it still sees them).
          await writeState(
            state,
            entry,
            date,
            runId,
            clock.now(),
            {
              status,
              reason: note,
              error: current.error,
              counts: current.counts,
              failedIds: current.failedIds ?? null,
              failures: current.failures ?? null,
              bytesScanned: current.bytesScanned,
              startedAt: current.startedAt,
              ...(current.checks === undefined ? {} : { checks: current.checks }),
            },
            version,
            current,
          );
        log.warn({ tries: current.tries }, `${entry.name} on ${date}: ${note}`);
        return outcomes.announce(runId, entry, date, status);
      }
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
        // Written from the state it was decided on: a skip keeps that state's result hash and counts.
        await writeState(state, entry, date, runId, clock.now(), fields, version, current);
        log.info({ status: fields.status, reason: fields.reason }, `${entry.name} ${fields.status} on ${date}`);
        return outcomes.announce(runId, entry, date, fields.status);
      }
    }
    const reasons: TakeoverReasons = {
      reclaim,
      supersede: mine && current.codeHash !== entry.codeHash,
      timedOut: mine && timedOut(entry, current),
    };
    const taken = await takeLease(ports, { computation: entry.name, date }, reasons);
    if (!taken.acquired) {
      if (current !== null && current.runId !== runId && current.status === 'running') {
        // Another run holds it: this run cannot wait for it, so it reports it as blocked (storing nothing).
        log.warn(
          { holder: taken.holder.owner, otherRun: current.runId },
          `${entry.name} on ${date} is being run by run ${current.runId}; counted as blocked in this run`,
        );
        return outcomes.announce(runId, entry, date, 'blocked');
      }
      const beat = taken.holder.heartbeatAt ?? taken.holder.acquiredAt;
      log.info(
        { holder: taken.holder.owner, lastHeartbeat: beat },
        `${entry.name} on ${date} is being run by ${taken.holder.owner} (last heartbeat ${beat}); leaving it to it`,
      );
      return;
    }
    try {
      await runUnderLease(run, entry, date, taken.lease, reasons);
    } catch (error) {
      // Let the retry start over instead of finding its own lease in the way.
      if (!(error instanceof StaleLeaseError)) await releaseLease(state.leases, taken.lease);
      throw error;
    }
  }

  function timedOut(entry: ManifestEntry, current: ComputationState): boolean {
    return pastComputationTimeout(settings, entry.config, current.startedAt, clock.now());
  }

  async function runUnderLease(
    run: RunRecord,
    entry: ManifestEntry,
    date: IsoDate,
    lease: Lease,
    reasons: TakeoverReasons,
  ): Promise<void> {
    const runId = run.runId;
    const log = ports.log.child({ runId, date, computation: entry.name });
    // Read again under the lease: a duplicate delivery may have finished it in the meantime.
    const current = await state.states.get(date, entry.name);
    if (current?.runId === runId && isFinal(current.status)) {
      await releaseLease(state.leases, lease);
      return outcomes.announce(runId, entry, date, current.status);
    }
    const mine = current?.runId === runId && current.status === 'running';
    if (mine && reasons.timedOut === true && timedOut(entry, current)) {
      const limit = timeoutsFor(settings, entry.config).computationMs;
      return outcomes.finish(runId, entry, date, lease, {
        status: 'failed',
        error: `timed out after ${seconds(limit)} (computationTimeoutSeconds)`,
        resultHash: null,
      });
    }
    if (mine && current.codeHash !== entry.codeHash) {
      log.warn(
        { plannedWith: current.codeHash, now: entry.codeHash },
        `${entry.name} on ${date} was planned with other code; superseding that attempt and planning again under this code`,
      );
    } else if (mine) {
      // Taking over a fan-out whose plan was sealed: adopt it, send what may be missing, and go on.
      const attempt = await latestAttempt(ports, runId, date, entry.name);
      if (attempt !== null && (await state.ledger.isSealed(ledgerKey(runId, entry.name, date, attempt)))) {
        if (!(await driveAttempt(state.leases, lease, attempt))) throw new StaleLeaseError(lease, lease.token, null);
        const fan: FanOut = { runId, entry, date, attempt, lease: { ...lease, attempt } };
        const sent = await republishUnfinished(ports, fan);
        log.warn({ attempt, republished: sent }, `Took ${entry.name} on ${date} over from its recorded batch plan`);
        return completion.advance(fan, await state.ledger.summary(ledgerKey(runId, entry.name, date, attempt)));
      }
    }
    const decision = await decideFor(run, entry, date, current);
    const running = {
      compositeHash: decision.compositeHash,
      components: decision.components,
      bytesScanned: null,
      // Kept as the final state's reason: why the repair window ran it, and that it read a partial dependency.
      reason:
        [
          run.repairDates?.includes(date) === true
            ? `repaired: ${repairReason(decision, current) ?? 'its input changed'}`
            : null,
          decision.reasons.find((reason) => reason.startsWith(PARTIAL_DEPENDENCY_NOTE)) ?? null,
        ]
          .filter((text) => text !== null)
          .join('; ') || null,
    };
    if (decision.decision === 'skip')
      return outcomes.finish(runId, entry, date, lease, {
        status: 'skipped',
        compositeHash: decision.compositeHash,
        components: decision.components,
        reason: decision.reasons.join('; '),
      });
    if (decision.decision === 'blocked')
      return outcomes.finish(runId, entry, date, lease, {
        status: 'blocked',
        reason: decision.reasons.join('; '),
        resultHash: null,
      });

    // Issue 22: only its result checks changed: judge the stored results again, without running it.
    if (await runChecksOnly(ports, outcomes, run, entry, date, lease, current, decision)) return;
    log.info({ changed: decision.changed, reasons: decision.reasons }, `Running ${entry.name} on ${date}`);
    const { reads, problems } = await ports.reader.plan(entry, date);
    if (problems.length > 0)
      return outcomes.finishWith(runId, entry, date, lease, running, {
        status: 'failed',
        error: problems.map((p) => p.message).join(' '),
      });
    const bytes = reads.length > 0 ? (await ports.reader.estimate(reads)).totalBytes : null;
    const withBytes = { ...running, bytesScanned: bytes };
    // Automatic runs count their tries of this composite hash, so a repair window gives up after a few.
    // Once per run: a retry of the same run (a redelivered pass) is the same try.
    const tries =
      run.automatic === true && decision.compositeHash !== null && current?.runId !== runId
        ? {
            compositeHash: decision.compositeHash,
            count: current?.tries?.compositeHash === decision.compositeHash ? current.tries.count + 1 : 1,
          }
        : undefined;
    await writeState(
      state,
      entry,
      date,
      runId,
      clock.now(),
      {
        status: 'running',
        ...withBytes,
        startedAt: clock.now().toISOString(),
        ...(tries === undefined ? {} : { tries }),
      },
      lease,
    );
    const limits = timeoutsFor(settings, entry.config);
    if (entry.config.type === 'global') {
      const outcome = await withHeartbeat(ports, lease, () =>
        runGlobal(ports, entry, date, runId, reads, limits.computationMs, lease),
      );
      return outcomes.finishWith(runId, entry, date, lease, withBytes, outcome);
    }
    const fan: FanOut = { runId, entry, date, attempt: lease.token, lease };
    const sharded = readsSharded(ports, entry, reads, bytes);
    if (sharded) log.info({ bytes }, `${entry.name} on ${date}: workers read their own shards (sharded reads)`);
    const planned = await withHeartbeat(ports, lease, (held) => planFanOut(ports, fan, reads, held, sharded));
    if (planned === 'lease-lost') {
      log.warn({}, `${entry.name} on ${date}: the lease was taken over while fanning out; stopped`);
      return;
    }
    if ('impossible' in planned)
      return outcomes.finishWith(runId, entry, date, lease, withBytes, {
        status: 'impossible',
        reason: planned.impossible,
      });
    log.info(planned, `Fanned ${entry.name} out in ${planned.batches} batch(es)`);
    // The last batches may have completed before the plan was sealed: look now.
    await completion.advance(fan, await state.ledger.summary(ledgerKey(runId, entry.name, date, fan.attempt)));
  }

  /**
   * After an error while a computation ran: rethrows it (so the event is
   * redelivered) while tries are left and a retry can help, else fails the
   * computation with the error and announces it, so the run goes on. A
   * retry after an error under a held lease gets a fresh token, so its
   * one-per-token steps (finalization) can run again.
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
    const permanent = isPermanent(error);
    const tries = permanent ? 1 : await countTry(runId, `tries/${date}/${entry.name}`);
    const key = { computation: entry.name, date };
    if (!permanent && tries < MAX_TRIES) {
      log.warn({ error: text, tries }, `${entry.name} on ${date}: ${text} (try ${tries} of ${MAX_TRIES}; retrying)`);
      if (held !== undefined)
        await acquireLease(
          state.leases,
          key,
          settings.ownerId,
          clock.now(),
          (holder) => holder.token === held.token,
          attemptOf(held),
        );
      throw error;
    }
    const taken = held !== undefined ? { acquired: true as const, lease: held } : await takeLease(ports, key);
    if (!taken.acquired) {
      log.warn({ holder: taken.holder.owner }, `${entry.name} on ${date} failed here; its holder goes on`);
      return;
    }
    const current = await state.states.get(date, entry.name);
    if (current !== null && current.runId === runId && isFinal(current.status)) {
      if (held === undefined) await releaseLease(state.leases, taken.lease);
      return outcomes.announce(runId, entry, date, current.status);
    }
    const done = committedOutcomeOf(error);
    if (done !== undefined && current?.runId === runId) {
      // Its results were committed before the state write failed: the state says what they are, not `failed`.
      log.warn(
        { error: text, tries },
        `${entry.name} on ${date}: its results were stored but recording them failed (${text}); recording them from the committed results`,
      );
      return outcomes.finishWith(runId, entry, date, taken.lease, done.running, done.outcome);
    }
    await outcomes.finish(runId, entry, date, taken.lease, {
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

  async function onPassReady(event: PassReady): Promise<void> {
    // The planner records a run before it publishes its passes, and each pass before it publishes it.
    const run = await runOf(state, event);
    await checkPass(state, run, event);
    const names = (manifest.passes[event.pass] ?? []).filter(
      (name) => run.computations === null || run.computations.includes(name),
    );
    // One computation's error never stops the others: it is retried with the pass, then fails alone.
    let retry: { error: unknown } | null = null;
    await forEachLimited(names, settings.computationConcurrency, async (name) => {
      const entry = manifest.byName.get(name)!;
      try {
        await drive(run, entry, event.date, event.reclaim);
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

  async function onBatchCompleted(event: BatchCompleted): Promise<void> {
    checkBatchEvent(manifest, await runOf(state, event), event);
    const entry = manifest.byName.get(event.computation)!;
    const key = ledgerKey(event.runId, event.computation, event.date, event.attempt);
    // The worker recorded its batch before announcing it, so this count includes it.
    const [lease, summary] = await Promise.all([
      state.leases.get({ computation: event.computation, date: event.date }),
      state.ledger.summary(key),
    ]);
    // Only completions of the attempt the lease drives count: anything else is late or superseded.
    const driving = drivesAttempt(lease, event.attempt) ? lease : await resumeReleased(event, lease);
    if (driving === null) {
      if (outcomes.announced(event.runId, entry, event.date)) return;
      // If the computation already finished in this run, say so again: the first announcement may have been lost.
      const done = await state.states.get(event.date, event.computation);
      if (done !== null && done.runId === event.runId && isFinal(done.status))
        await outcomes.announce(event.runId, entry, event.date, done.status);
      return;
    }
    await heartbeatOnce(driving);
    const fan: FanOut = { runId: event.runId, entry, date: event.date, attempt: event.attempt, lease: driving };
    try {
      if (driving !== lease) {
        // Taken over from a holder that let go (SIGTERM): send the batches it claimed and may never have sent.
        const sent = await republishUnfinished(ports, fan);
        ports.log.warn(
          { runId: event.runId, date: event.date, computation: entry.name, republished: sent },
          `Took ${entry.name} on ${event.date} over from a holder that released it; going on from its batch plan`,
        );
      } else if (driving.token !== event.leaseToken) {
        // Its holder took the lease again after a step failed (a retry gets a fresh token): a batch it had
        // claimed may never have been published. It sends them now, once per token, not after a sweep's takeover.
        const sent = await republishUnfinished(ports, fan);
        if (sent !== null)
          ports.log.warn(
            { runId: event.runId, date: event.date, computation: entry.name, republished: sent, token: driving.token },
            `${entry.name} on ${event.date}: published again the batches it had claimed and not seen completed (${sent})`,
          );
      }
      await completion.advance(fan, summary);
    } catch (error) {
      if (error instanceof StaleLeaseError) return;
      await failOrRetry(event.runId, entry, event.date, error, driving);
    }
  }

  /** When this process last heartbeated each lease, so concurrent completions send one heartbeat, not one each. */
  const beaten = new Map<string, number>();

  /** Heartbeats the lease a completion works under when neither it nor this process did so lately. */
  async function heartbeatOnce(lease: Lease): Promise<void> {
    const now = clock.now().getTime();
    const id = `${lease.computation}/${lease.date}/${lease.token}`;
    const every = heartbeatEvery(settings);
    if (silenceMs(lease, clock.now()) <= every || now - (beaten.get(id) ?? 0) <= every) return;
    if (beaten.size > 10_000) beaten.clear();
    beaten.set(id, now);
    await renewLease(state.leases, lease, clock.now(), settings.ownerId);
  }

  /**
   * A completion of the attempt whose holder released its lease (it was
   * stopped, maybe while finalizing) while the computation still runs in
   * that run: takes the lease with a new token for the same attempt, so
   * the fan-out goes on now (its one-per-token steps, such as finalizing,
   * can run again) instead of after the lease goes stale and the sweep comes.
   */
  async function resumeReleased(event: BatchCompleted, lease: Lease | null): Promise<Lease | null> {
    if (lease === null || !lease.released || attemptOf(lease) !== event.attempt) return null;
    const current = await state.states.get(event.date, event.computation);
    if (current === null || current.runId !== event.runId || current.status !== 'running') return null;
    const taken = await acquireLease(
      state.leases,
      { computation: event.computation, date: event.date },
      settings.ownerId,
      clock.now(),
      (holder) => holder.released && holder.token === lease.token,
      event.attempt,
    );
    return taken.acquired ? taken.lease : null;
  }

  return { onPassReady, onBatchCompleted };
}
