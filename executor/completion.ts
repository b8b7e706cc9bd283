import { RetryLaterError } from '../shared/errors.ts';
import type { BatchPlan, Lease, LedgerSummary } from '../shared/ports/state-store.ts';
import { withHeartbeat } from '../shared/state/heartbeat.ts';
import { heartbeatEvery, type ServicePorts } from '../shared/runtime/service-ports.ts';
import { renewLease, silenceMs } from '../shared/state/leases.ts';
import { claimStep } from '../shared/state/steps.ts';
import { finalizeBatches } from './finalize.ts';
import { fanOutKey, topUp, type FanOut } from './fan-out.ts';
import type { Outcomes, RunningWith } from './outcomes.ts';

/** How many entity errors the breaker's message quotes. */
const QUOTED = 3;

/** What this process knows of a fan-out: hints that save reads, never needed for correctness. */
interface Known {
  /** The sealed plan (sealed plans never change). */
  plan: BatchPlan | null;
  /** Every planned batch is claimed: completions have nothing left to publish. */
  allClaimed: boolean;
  /** The plan is sealed and the window was filled after it: each completion frees one place. */
  full: boolean;
}

export interface Completion {
  /**
   * Moves a fan-out on, from a ledger summary read after a batch completed
   * (or the plan was sealed): trips the breaker, tops the window up, or
   * finalizes once every planned batch of the sealed plan is recorded.
   */
  advance(fan: FanOut, summary: LedgerSummary): Promise<void>;
}

export function createCompletion(ports: ServicePorts, outcomes: Outcomes): Completion {
  const { state, settings, clock } = ports;
  const known = new Map<string, Known>();
  /** When this process last heartbeated each lease, so concurrent completions send one heartbeat, not one each. */
  const beaten = new Map<string, number>();

  /**
   * Heartbeats the lease a completion moves the fan-out on under, when
   * neither it nor this process did so lately. Only while batches are
   * outstanding: once all are recorded, the finalizer's own heartbeat
   * keeps it alive, and a repeated completion must not keep a quiet
   * finalizer's lease from going stale.
   */
  async function heartbeatOnce(lease: Lease): Promise<void> {
    const now = clock.now().getTime();
    const id = `${lease.computation}/${lease.date}/${lease.token}`;
    const every = heartbeatEvery(settings);
    if (silenceMs(lease, clock.now()) <= every || now - (beaten.get(id) ?? 0) <= every) return;
    if (beaten.size > 10_000) beaten.clear();
    beaten.set(id, now);
    await renewLease(state.leases, lease, clock.now(), settings.ownerId);
  }
  const knownOf = (fan: FanOut): Known => {
    const id = `${fan.runId}/${fan.date}/${fan.entry.name}/${fan.attempt}`;
    let entry = known.get(id);
    if (entry === undefined) {
      if (known.size > 10_000) known.clear();
      entry = { plan: null, allClaimed: false, full: false };
      known.set(id, entry);
    }
    return entry;
  };

  /** The computation's state when it still runs in this fan-out's run, else null. */
  async function running(fan: FanOut): Promise<RunningWith | null> {
    const current = await state.states.get(fan.date, fan.entry.name);
    return current !== null && current.runId === fan.runId && current.status === 'running' ? current : null;
  }

  async function sealedPlan(fan: FanOut, memo: Known): Promise<BatchPlan | null> {
    if (memo.plan !== null) return memo.plan;
    const key = fanOutKey(fan);
    // Until it is sealed, ask only whether it is (one read), not for every planned batch.
    if (!(await state.ledger.isSealed(key))) return null;
    const plan = await state.ledger.getPlan(key);
    if (plan === null || !plan.sealed) return null;
    memo.plan = plan;
    return plan;
  }

  /** Fails a computation whose failed share passed the threshold, once, quoting a few of its entity errors. */
  async function tripBreaker(fan: FanOut, summary: LedgerSummary, plan: BatchPlan | null): Promise<void> {
    const current = await running(fan);
    if (current === null) return;
    const breaker = { kind: 'breaker', date: fan.date, computation: fan.entry.name, attempt: fan.attempt } as const;
    if (!(await claimStep(state.runs, fan.runId, breaker))) return;
    const processed = summary.succeeded + summary.failed;
    const samples = (await state.ledger.batches(fanOutKey(fan)))
      .flatMap((record) => record.errors)
      .slice(0, QUOTED)
      .map((e) => `${e.entityId}: ${e.error}`);
    const error = `CIRCUIT BREAKER TRIPPED: ${summary.failed} of ${processed} entities failed (threshold ${Math.round(settings.breakerThreshold * 100)}%); no further batches were published. Fix what fails and run again (breakerThreshold sets the share that trips it). First errors: ${samples.join('; ')}`;
    ports.log.error(
      { runId: fan.runId, date: fan.date, computation: fan.entry.name, failed: summary.failed, processed },
      error,
    );
    const counts =
      plan === null
        ? undefined
        : { planned: plan.entityCount, succeeded: summary.succeeded, failed: summary.failed, stored: 0 };
    await outcomes.finishWith(fan, fan.lease, current, { status: 'failed', error, counts });
  }

  /**
   * Finalizes the fan-out exactly once per lease token: the claim is a
   * step of the run keyed by attempt and fencing token, so two completions
   * racing (in one process or several) finalize once, and a takeover (a new
   * token) may finalize again after a finalizer died half-way.
   */
  async function finalizeOnce(fan: FanOut, plan: BatchPlan): Promise<void> {
    const { date, entry, attempt, lease } = fan;
    const step = { kind: 'finalize', date, computation: entry.name, attempt, token: lease.token } as const;
    if (!(await claimStep(state.runs, fan.runId, step))) return finalizerQuiet(fan);
    const current = await running(fan);
    if (current === null) return;
    ports.log.info(
      { runId: fan.runId, date, computation: entry.name, batches: plan.batches.length, token: lease.token },
      `Storing the results of ${entry.name} on ${date} (${plan.batches.length} batch(es))`,
    );
    const outcome = await withHeartbeat(ports, fan.lease, () => finalizeBatches(ports, fan.entry, plan, fan.lease));
    await outcomes.finishWith(fan, fan.lease, current, outcome);
  }

  /**
   * A completion that found this token's finalization claimed: fine while
   * the finalizer heartbeats (or it finished). When its lease has been
   * silent for two heartbeats (its process stopped, paused or gone with its
   * host), the completion comes back (RetryLaterError) until the lease is
   * stale and a redelivery takes it over, rather than being acknowledged
   * and leaving the computation to the sweep.
   */
  async function finalizerQuiet(fan: FanOut): Promise<void> {
    const silent = silenceMs(fan.lease, clock.now());
    if (silent <= 2 * heartbeatEvery(settings)) return;
    if ((await running(fan)) === null) return;
    throw new RetryLaterError(
      `${fan.entry.name} on ${fan.date}: its finalization (lease token ${fan.lease.token}, ${fan.lease.owner}) has sent no heartbeat for ${Math.round(silent / 1000)} s; this completion comes back until it does or its lease is stale (${Math.round(settings.leaseStaleMs / 1000)} s) and is taken over`,
    );
  }

  async function advance(fan: FanOut, summary: LedgerSummary): Promise<void> {
    const memo = knownOf(fan);
    const processed = summary.succeeded + summary.failed;
    const tooMany = processed > 0 && summary.failed / processed > settings.breakerThreshold;
    if (tooMany && processed >= settings.breakerMinEntities) return tripBreaker(fan, summary, memo.plan);
    const plan = await sealedPlan(fan, memo);
    if (plan === null || summary.completed < plan.batches.length) await heartbeatOnce(fan.lease);
    if (!memo.allClaimed) {
      // Once sealed, the fan-out left the window full: this completion frees one place.
      const { published, claimed } = await topUp(ports, fan, summary, memo.full ? 1 : undefined);
      if (plan !== null) {
        if (claimed === null ? published.length === 0 : claimed >= plan.batches.length) memo.allClaimed = true;
        else memo.full = true;
      }
    }
    if (plan === null || summary.completed < plan.batches.length) return;
    // The minimum volume only delays an early trip: at the end the share is judged whatever the size.
    if (tooMany) return tripBreaker(fan, summary, plan);
    await finalizeOnce(fan, plan);
  }

  return { advance };
}
