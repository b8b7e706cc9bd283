import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, storedResults, type RunOutcome } from '../support/embedded.ts';
import { FaultInjector, type Fault } from '../support/faults.ts';
import { BODIES, computationFile, scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';
const NAMES = ['Totals', 'Doubled', 'Summary', 'Streak'];

/** What a user compares between two runs: status, result hash and entity counts of each computation. */
function view(outcome: RunOutcome) {
  return outcome.summary.computations.map((c) => [c.name, c.status, c.resultHash, c.entities]);
}

/**
 * The invariant after a fault: succeeded + failed = planned for every
 * computation that ran, no (computation, date, entity) stored twice, and
 * nothing left running.
 */
async function checkInvariant(root: string, outcome: RunOutcome, names = NAMES): Promise<void> {
  for (const name of names) {
    const state = outcome.states.get(`${D}/${name}`);
    expect(state?.status, `${name} is not left running`).not.toBe('running');
    if ((state?.status === 'completed' || state?.status === 'partial') && state.counts !== null)
      expect(state.counts.succeeded + state.counts.failed, `${name} counts`).toBe(state.counts.planned);
  }
  for (const name of names) {
    const twice = await sql(root, [
      `SELECT entity_id FROM compute_results."${name}" WHERE date = DATE '${D}' GROUP BY ALL HAVING count(*) > 1`,
    ]).catch(() => []);
    expect(twice, `${name} results stored twice`).toEqual([]);
  }
}

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

describe('a step of a fan-out that fails once', () => {
  let clean: RunOutcome;
  beforeAll(async () => {
    const reference = await scenarioProject({ dates: [D], entities: 59 });
    clean = await runProject(reference.root, { dates: [D] });
    await reference.remove();
  });

  const cases: Array<[string, Fault]> = [
    ['the first batch-context write', { target: 'blobs.put', call: 1, kind: 'fail', match: /Totals.*context/ }],
    ['the first plan write', { target: 'state.ledger.planBatches', call: 1, kind: 'fail' }],
    ['a batch publish', { target: 'bus.publish', call: 4, kind: 'fail', match: /batch\.ready/ }],
  ];
  it.each(cases)('%s: the pass is retried and every entity is stored, as in a clean run', async (_name, fault) => {
    project = await scenarioProject({ dates: [D], entities: 59 });
    const faults = new FaultInjector([fault]);
    const outcome = await runProject(project.root, { dates: [D], faults });
    expect(faults.fired).toHaveLength(1);
    expect(view(outcome)).toEqual(view(clean));
    expect(outcome.states.get(`${D}/Totals`)!.counts).toEqual({ planned: 59, succeeded: 59, failed: 0, stored: 59 });
    expect(await storedResults(project.root, 'Totals', D)).toHaveLength(59);
    await checkInvariant(project.root, outcome);
  });

  it('a results read while finalizing: retried, every result stored once', async () => {
    // Found by the chaos test (seed 3012): a read-ahead failing before it was awaited crashed the process.
    // Results this large go to the blob store (small ones travel in the ledger record).
    const big = `const pad = 'x'.repeat(4000); ${BODIES.totals.replace('return {', 'return { pad,')}`;
    const reference = await scenarioProject({ dates: [D], entities: 59, bodies: { totals: big } });
    const cleanRun = await runProject(reference.root, { dates: [D] });
    await reference.remove();
    project = await scenarioProject({ dates: [D], entities: 59, bodies: { totals: big } });
    const faults = new FaultInjector([{ target: 'blobs.get', call: 3, kind: 'fail', match: /Totals.*results/ }]);
    const outcome = await runProject(project.root, { dates: [D], faults });
    expect(faults.fired).toHaveLength(1);
    expect(view(outcome)).toEqual(view(cleanRun));
    expect(await storedResults(project.root, 'Totals', D)).toHaveLength(59);
    await checkInvariant(project.root, outcome);
  });
});

describe('state and results agree after any failure order (issue 25, item 6)', () => {
  it('the final state write failing on every try after the results were stored: the state says completed, from the stored results', async () => {
    const reference = await scenarioProject({ dates: [D], entities: 31 });
    const cleanRun = await runProject(reference.root, { dates: [D] });
    await reference.remove();
    project = await scenarioProject({ dates: [D], entities: 31 });
    // Every try of the pass (three) stores Totals' results, then fails to write its completed state.
    const faults = new FaultInjector([
      {
        target: 'state.states.put',
        call: 1,
        times: 3,
        kind: 'fail',
        match: /"computation":"Totals".*"status":"completed"/,
      },
    ]);
    const outcome = await runProject(project.root, { dates: [D], faults });
    expect(faults.fired).toHaveLength(3);
    const totals = outcome.states.get(`${D}/Totals`)!;
    // Before: `failed` ("injected fault ... (after 3 tries)") while the warehouse held the new rows.
    expect(totals.status).toBe('completed');
    expect(totals.counts).toEqual({ planned: 31, succeeded: 31, failed: 0, stored: 31 });
    expect(await storedResults(project.root, 'Totals', D)).toHaveLength(31);
    expect(view(outcome)).toEqual(view(cleanRun));
    await checkInvariant(project.root, outcome);
  });
});

describe('a batch claimed but never published (issue 25, item 5)', () => {
  it("a completion's top-up publish that fails: the live holder publishes what it claimed, with no takeover and no sweep", async () => {
    const slow = `await new Promise((r) => setTimeout(r, 30)); ${BODIES.totals}`;
    const options = {
      dates: [D],
      entities: 59,
      bodies: { totals: slow },
      config: { execution: { maxInFlightBatches: 1 } },
    };
    const reference = await scenarioProject(options);
    const cleanRun = await runProject(reference.root, { dates: [D] });
    await reference.remove();
    project = await scenarioProject(options);
    // One batch in flight at a time, each ~0.3 s: the plan is sealed long before the first completes, so the
    // third batch of Totals is claimed and published by the second one's completion, and that publish fails.
    const faults = new FaultInjector([
      { target: 'bus.publish', call: 3, kind: 'fail', match: /"type":"batch.ready".*"computation":"Totals"/ },
    ]);
    const outcome = await runProject(project.root, { dates: [D], faults });
    expect(faults.fired).toHaveLength(1);
    expect(view(outcome)).toEqual(view(cleanRun));
    expect(await storedResults(project.root, 'Totals', D)).toHaveLength(59);
    const messages = outcome.logs.map((l) => String(l.message));
    // Before: nothing published the claimed batch until the run loop's sweep let a takeover republish it.
    expect(messages.filter((m) => /^Took .* over|^Sweep/.test(m))).toEqual([]);
    expect(messages.some((m) => m.includes('published again the batches it had claimed'))).toBe(true);
    await checkInvariant(project.root, outcome);
  });
});

describe('compute run when one computation cannot run', () => {
  it('a file where the blob folder should be fails the per-entity computations; the run goes on and says so', async () => {
    project = await scenarioProject({ dates: [D] });
    await mkdir(join(project.root, '.compute'), { recursive: true });
    await writeFile(join(project.root, '.compute/blobs'), 'not a folder');
    const result = await cli(['run', '--date', D, '--json', '--project', project.root]);
    expect(result.stderr).not.toContain('Unexpected error');
    expect(result.code).toBe(1);
    const outcome = json<{ status: string; computations: Array<{ name: string; status: string; detail: string }> }>(
      result,
    );
    const byName = Object.fromEntries(outcome.computations.map((c) => [c.name, c]));
    expect(outcome.status).toBe('failed');
    expect(byName.Totals!.status).toBe('failed');
    expect(byName.Totals!.detail).toMatch(/not a directory|ENOTDIR|EEXIST/);
    expect(byName.Streak!.status).toBe('failed');
    expect(byName.Doubled!.status).toBe('blocked');
    expect(byName.Summary!.status).toBe('blocked');
    const status = json<{ computations: Array<{ status: string }> }>(
      await cli(['status', '--date', D, '--json', '--project', project.root]),
    );
    expect(status.computations.map((c) => c.status)).not.toContain('running');
  });

  it('a query the warehouse refuses fails that computation, per-entity or global; the rest of the run completes', async () => {
    project = await scenarioProject({ dates: [D] });
    await sql(project.root, [
      "CREATE VIEW bad_events AS SELECT date, entity_id, CASE WHEN entity_id = 'e020' THEN error('the warehouse refused the read') ELSE value END AS value FROM events",
    ]);
    await project.write(
      'computations/broken-daily.js',
      computationFile('BrokenDaily', { type: 'per-entity', requires: { bad_events: {} } }, 'return { ok: 1 };'),
    );
    await project.write(
      'computations/broken-global.js',
      computationFile('BrokenGlobal', { type: 'global', requires: { bad_events: {} } }, 'return { ok: 1 };'),
    );
    const result = await cli(['run', '--date', D, '--json', '--project', project.root]);
    expect(result.stderr).not.toContain('Unexpected error');
    expect(result.code).toBe(1);
    const outcome = json<{ computations: Array<{ name: string; status: string; detail: string | null }> }>(result);
    const byName = Object.fromEntries(outcome.computations.map((c) => [c.name, c]));
    for (const name of ['BrokenDaily', 'BrokenGlobal']) {
      expect(byName[name]!.status, name).toBe('failed');
      expect(byName[name]!.detail, name).toContain('the warehouse refused the read');
    }
    for (const name of NAMES) expect(byName[name]!.status, name).toBe('completed');
    expect(await storedResults(project.root, 'Totals', D)).toHaveLength(25);
  });
});

describe('a schema change between plan and run', () => {
  it('fails the computation at once, without retries, naming the warehouse error', async () => {
    project = await scenarioProject({ dates: [D] });
    // The view still lists 'value' in INFORMATION_SCHEMA (the plan validates), but its query no longer binds.
    await sql(project.root, [
      'CREATE TABLE moving AS SELECT * FROM events',
      'CREATE VIEW moving_events AS SELECT date, entity_id, value FROM moving',
      'ALTER TABLE moving DROP COLUMN value',
    ]);
    await project.write(
      'computations/moving.js',
      computationFile('Moving', { type: 'per-entity', requires: { moving_events: {} } }, 'return { ok: 1 };'),
    );
    const outcome = await runProject(project.root, { dates: [D] });
    const moving = outcome.states.get(`${D}/Moving`)!;
    expect(moving.status).toBe('failed');
    expect(moving.error).toMatch(/^Binder Error/);
    expect(moving.error).not.toContain('tries');
    expect(outcome.logs.filter((l) => String(l.message).includes('retrying'))).toEqual([]);
    for (const name of NAMES) expect(outcome.states.get(`${D}/${name}`)!.status, name).toBe('completed');
  });
});

describe('results JSON cannot hold exactly', () => {
  it('are entity errors naming the path; counts add up; a global computation with one fails alone', async () => {
    project = await scenarioProject({
      dates: [D],
      bodies: {
        totals: `const n = Number(ctx.entityId.slice(1));
    if (n === 0) return { total: NaN };
    if (n === 1) return NaN;
    if (n === 2) return { big: 10n };
    if (n === 3) { const o = { a: {} }; o.a.self = o; return o; }
    if (n === 4) return { f: () => 1 };
    if (n === 5) return { at: new Date('2026-01-26T10:00:00Z') };
    if (n === 6) return undefined;
    ${BODIES.totals}`,
        doubled:
          "const t = ctx.getDependency('Totals'); return typeof t?.total === 'number' ? { doubled: t.total * 2 } : null;",
        summary: 'return { sum: 10n };',
      },
    });
    const outcome = await runProject(project.root, { dates: [D] });
    const totals = outcome.states.get(`${D}/Totals`)!;
    expect(totals.status).toBe('partial');
    expect(totals.counts).toEqual({ planned: 25, succeeded: 20, failed: 5, stored: 19 });
    expect(totals.failedIds).toEqual(['e000', 'e001', 'e002', 'e003', 'e004']);
    expect(totals.reason).toBe(
      '5 of 25 entities failed: e000: result.total is NaN; e001: result is NaN; e002: result.big is a BigInt; e003: result.a.self is a cyclic reference; e004: result.f is a function',
    );
    const stored = await storedResults(project.root, 'Totals', D);
    expect(stored.map((r) => r.entityId).slice(0, 2)).toEqual(['e005', 'e007']);
    expect(stored[0]!.result).toEqual({ at: '2026-01-26T10:00:00.000Z' });
    const summary = outcome.states.get(`${D}/Summary`)!;
    expect(summary.status).toBe('failed');
    expect(summary.error).toBe('result.sum is a BigInt');
    expect(outcome.states.get(`${D}/Streak`)!.status).toBe('completed');
    expect(outcome.summary.status).toBe('failed');
    await checkInvariant(project.root, outcome);
  });
});

describe('failures judged at the end of a computation', () => {
  it('7 of 8 entities failing fails the computation, however few they are, and blocks its dependents', async () => {
    project = await scenarioProject({
      entities: 8,
      dates: [D],
      bodies: { totals: `if (ctx.entityId !== 'e000') throw new Error('broken'); ${BODIES.totals}` },
    });
    const outcome = await runProject(project.root, { dates: [D] });
    const totals = outcome.states.get(`${D}/Totals`)!;
    expect(totals.status).toBe('failed');
    expect(totals.error).toBe(
      'CIRCUIT BREAKER TRIPPED: 7 of 8 entities failed (threshold 30%); no further batches were published. ' +
        'Fix what fails and run again (breakerThreshold sets the share that trips it). ' +
        'First errors: e001: broken; e002: broken; e003: broken',
    );
    expect(outcome.states.get(`${D}/Doubled`)!.status).toBe('blocked');
    expect(outcome.summary.status).toBe('failed');
    expect(await storedResults(project.root, 'Totals', D)).toEqual([]);
    await checkInvariant(project.root, outcome);
  });
});

describe('a batch context deleted before a worker reads it', () => {
  afterAll(async () => project?.remove());
  it('does not hang the run: its entities fail, named, and the counts add up', async () => {
    project = await scenarioProject({ dates: [D] });
    const faults = new FaultInjector([
      { target: 'blobs.put', call: 1, kind: 'lost', match: /Totals\/.*b000001\.context/ },
    ]);
    const outcome = await runProject(project.root, { dates: [D], faults });
    expect(faults.fired).toHaveLength(1);
    const totals = outcome.states.get(`${D}/Totals`)!;
    expect(totals.status).toBe('failed');
    expect(totals.error).toMatch(/^CIRCUIT BREAKER TRIPPED: 10 of 25 entities failed/);
    expect(totals.error).toContain('batch context is missing from the blob store');
    expect(totals.counts).toMatchObject({ planned: 25, succeeded: 15, failed: 10 });
    expect(outcome.states.get(`${D}/Streak`)!.status).toBe('completed');
    await checkInvariant(project.root, outcome);
  });
});

describe('a results blob deleted before finalization', () => {
  afterAll(async () => project?.remove());
  it('fails that computation at once, saying what happened and the command that runs it again', async () => {
    // Results over 32 KiB per batch go to a blob (smaller ones travel in the ledger record).
    project = await scenarioProject({ dates: [D], bodies: { totals: "return { total: 1, pad: 'x'.repeat(4000) };" } });
    const faults = new FaultInjector([
      { target: 'blobs.put', call: 1, kind: 'lost', match: /Totals\/.*b000001\.results\./ },
    ]);
    const outcome = await runProject(project.root, { dates: [D], faults });
    expect(faults.fired).toHaveLength(1);
    const totals = outcome.states.get(`${D}/Totals`)!;
    expect(totals.status).toBe('failed');
    expect(totals.error).toMatch(
      /^results of batch b000001 \(.*\) are missing from the blob store: deleted before Totals finished/,
    );
    expect(totals.error).toContain(`Run it again: compute run --date ${D} --computation Totals`);
    // A retry cannot bring the blob back: no tries were spent on it.
    expect(outcome.logs.filter((l) => String(l.message).includes('retrying'))).toEqual([]);
    expect(outcome.states.get(`${D}/Doubled`)!.status).toBe('blocked');
    expect(outcome.states.get(`${D}/Streak`)!.status).toBe('completed');
  });
});

describe('process() that never returns', () => {
  it('fails the hung entity after its timeout (replacing a worker thread it blocks) and a hung global computation; the rest completes', async () => {
    project = await scenarioProject({
      dates: [D],
      config: {
        batchSize: 10,
        execution: { entityTimeoutSeconds: 1, computationTimeoutSeconds: 3, breakerThreshold: 0.5 },
      },
      bodies: {
        totals: `if (ctx.entityId === 'e003') await new Promise(() => {}); ${BODIES.totals}`,
        streak: `if (ctx.entityId === 'e012') { const end = Date.now() + 60_000; while (Date.now() < end) {} } ${BODIES.streak}`,
        summary: 'await new Promise(() => {});',
      },
    });
    const result = await cli(['run', '--date', D, '--json', '--project', project.root]);
    expect(result.stderr).not.toContain('Unexpected error');
    expect(result.code).toBe(1);
    const outcome = json<{
      computations: Array<{ name: string; status: string; detail: string | null; entities: unknown }>;
    }>(result);
    const byName = Object.fromEntries(outcome.computations.map((c) => [c.name, c]));
    expect(byName.Totals).toMatchObject({
      status: 'partial',
      entities: { planned: 25, succeeded: 24, failed: 1, stored: 24 },
    });
    expect(byName.Totals!.detail).toBe('1 of 25 entities failed: e003: timed out after 1 s (entityTimeoutSeconds)');
    // The thread stuck in a loop was replaced; the entity is failed, its batch's other entities ran in a fresh thread.
    expect(byName.Streak).toMatchObject({ status: 'partial', entities: { planned: 25, succeeded: 24, failed: 1 } });
    expect(byName.Streak!.detail).toBe(
      '1 of 25 entities failed: e012: timed out after 1 s (entityTimeoutSeconds): process() did not return and blocked its worker thread, which was replaced',
    );
    expect(byName.Doubled!.status).toBe('completed');
    expect(byName.Summary).toMatchObject({
      status: 'failed',
      detail: 'timed out after 3 s (computationTimeoutSeconds)',
    });
    expect(await storedResults(project.root, 'Totals', D)).toHaveLength(24);
  }, 60_000);

  it('fails the entities a batch has no time left for, so it answers before its push deadline; the counts add up', async () => {
    project = await scenarioProject({
      dates: [D],
      config: { batchSize: 10, execution: { batchTimeoutSeconds: 0.15, breakerThreshold: 1 } },
      bodies: { totals: `await new Promise((r) => setTimeout(r, 40)); ${BODIES.totals}` },
    });
    const outcome = await runProject(project.root, { dates: [D] });
    const totals = outcome.states.get(`${D}/Totals`)!;
    expect(totals.status).toBe('partial');
    expect(totals.counts!.succeeded + totals.counts!.failed).toBe(25);
    expect(totals.counts!.failed).toBeGreaterThan(5);
    expect(totals.reason).toContain(
      'not run: the batch ran out of time (batchTimeoutSeconds) before this entity started',
    );
    await checkInvariant(project.root, outcome);
  });
});
