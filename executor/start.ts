import { PARTIAL_DEPENDENCY_NOTE, type Decision } from '../shared/plan/decide.ts';
import { repairReason } from '../shared/plan/repair.ts';
import type { WorkItem } from '../shared/manifest/work-item.ts';
import { StaleLeaseError, type ComputationState, type Lease, type RunRecord } from '../shared/ports/state-store.ts';
import { ledgerKey } from '../shared/batches/batch-files.ts';
import { withHeartbeat } from '../shared/state/heartbeat.ts';
import { timeoutsFor } from '../shared/runtime/service-ports.ts';
import { readsSharded } from '../shared/batches/shard-batches.ts';
import { writeState } from '../shared/state/state-writes.ts';
import { seconds } from '../shared/batches/time-limit.ts';
import { driveAttempt, releaseLease } from '../shared/state/leases.ts';
import { runChecksOnly } from './checks-only.ts';
import { contextsReachable, latestAttempt, planFanOut, republishUnfinished, type FanOut } from './fan-out.ts';
import { runGlobal } from './global-run.ts';
import type { TakeoverReasons } from './lease.ts';
import { isFinal, logFor, timedOut, type ExecutorParts } from './parts.ts';
import type { RunningWith } from './outcomes.ts';

/**
 * Under the lease: reads the state again, fails a running computation that
 * timed out, adopts a sealed plan it takes over, or decides and starts it
 * (see start).
 */
export async function runUnderLease(
  parts: ExecutorParts,
  run: RunRecord,
  item: WorkItem,
  lease: Lease,
  reasons: TakeoverReasons,
): Promise<void> {
  const { ports, outcomes, completion } = parts;
  const { state, settings } = ports;
  const { runId, entry, date } = item;
  const log = logFor(ports, item);
  // Read again under the lease: a duplicate delivery may have finished it in the meantime.
  const current = await state.states.get(date, entry.name);
  if (current?.runId === runId && isFinal(current.status)) {
    await releaseLease(state.leases, lease);
    return outcomes.announce(item, current.status);
  }
  const mine = current?.runId === runId && current.status === 'running';
  if (mine && reasons.timedOut === true && timedOut(ports, item, current)) {
    const limit = timeoutsFor(settings, entry.config).computationMs;
    return outcomes.finish(item, lease, {
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
    if (
      attempt !== null &&
      contextsReachable(ports, { runId, entry, date, attempt }) &&
      (await state.ledger.isSealed(ledgerKey(runId, entry.name, date, attempt)))
    ) {
      if (!(await driveAttempt(state.leases, lease, attempt))) throw new StaleLeaseError(lease, lease.token, null);
      const fan: FanOut = { ...item, attempt, lease: { ...lease, attempt } };
      const sent = await republishUnfinished(ports, fan);
      log.warn({ attempt, republished: sent }, `Took ${entry.name} on ${date} over from its recorded batch plan`);
      return completion.advance(fan, await state.ledger.summary(ledgerKey(runId, entry.name, date, attempt)));
    }
  }
  return start(parts, run, item, lease, current);
}

/** Why the final state will say it ran: that the repair window ran it, and that it read a partial dependency. */
function runningReason(run: RunRecord, item: WorkItem, decision: Decision, current: ComputationState | null) {
  return (
    [
      run.repairDates?.includes(item.date) === true
        ? `repaired: ${repairReason(decision, current) ?? 'its input changed'}`
        : null,
      decision.reasons.find((reason) => reason.startsWith(PARTIAL_DEPENDENCY_NOTE)) ?? null,
    ]
      .filter((text) => text !== null)
      .join('; ') || null
  );
}

/**
 * Decides the computation under its lease and, when it is to run, records
 * it running and runs it: a global one here, a per-entity one fanned out
 * to the workers (the completions finish it).
 */
async function start(
  parts: ExecutorParts,
  run: RunRecord,
  item: WorkItem,
  lease: Lease,
  current: ComputationState | null,
): Promise<void> {
  const { ports, outcomes, completion } = parts;
  const { state, settings, clock } = ports;
  const { runId, entry, date } = item;
  const log = logFor(ports, item);
  const decision = await parts.decide(run, item, current);
  const running: RunningWith = {
    compositeHash: decision.compositeHash,
    components: decision.components,
    bytesScanned: null,
    // Kept as the final state's reason.
    reason: runningReason(run, item, decision, current),
  };
  if (decision.decision === 'skip')
    return outcomes.finish(item, lease, {
      status: 'skipped',
      compositeHash: decision.compositeHash,
      components: decision.components,
      reason: decision.reasons.join('; '),
    });
  if (decision.decision === 'blocked')
    return outcomes.finish(item, lease, { status: 'blocked', reason: decision.reasons.join('; '), resultHash: null });

  // Issue 22: only its result checks changed: judge the stored results again, without running it.
  if (await runChecksOnly(ports, outcomes, { item, force: run.force, lease, stored: current, decision })) return;
  log.info({ changed: decision.changed, reasons: decision.reasons }, `Running ${entry.name} on ${date}`);
  const { reads, problems } = await ports.reader.plan(entry, date);
  if (problems.length > 0)
    return outcomes.finishWith(item, lease, running, {
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
  await writeState({
    store: state,
    item,
    now: clock.now(),
    fields: {
      status: 'running',
      ...withBytes,
      startedAt: clock.now().toISOString(),
      ...(tries === undefined ? {} : { tries }),
    },
    fence: lease,
  });
  const limits = timeoutsFor(settings, entry.config);
  if (entry.config.type === 'global') {
    const outcome = await withHeartbeat(ports, lease, () => runGlobal(ports, item, reads, limits.computationMs, lease));
    return outcomes.finishWith(item, lease, withBytes, outcome);
  }
  const fan: FanOut = { ...item, attempt: lease.token, lease };
  const sharded = readsSharded(ports, entry, reads, bytes);
  if (sharded) log.info({ bytes }, `${entry.name} on ${date}: workers read their own shards (sharded reads)`);
  const planned = await withHeartbeat(ports, lease, (held) => planFanOut(ports, fan, reads, held, sharded));
  if (planned === 'lease-lost') {
    log.warn({}, `${entry.name} on ${date}: the lease was taken over while fanning out; stopped`);
    return;
  }
  if ('impossible' in planned)
    return outcomes.finishWith(item, lease, withBytes, { status: 'impossible', reason: planned.impossible });
  log.info(planned, `Fanned ${entry.name} out in ${planned.batches} batch(es)`);
  // The last batches may have completed before the plan was sealed: look now.
  await completion.advance(fan, await state.ledger.summary(ledgerKey(runId, entry.name, date, fan.attempt)));
}
