import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { runProject, sql, storedResults } from '../support/embedded.ts';
import { BODIES, computationFile, expectedTotal, failWhileMarked, scenarioProject } from '../support/scenario.ts';
import { tempProject, type TempProject } from '../support/temp-project.ts';

/**
 * When part of the work fails, nothing is quietly wrong (DESIGN 5b): a
 * computation-date with failed entities is partial and runs again; a
 * historical chain never restarts an entity from null because its previous
 * date failed; a scheduled run repairs the dates before it.
 */

const [D1, D2, D3] = ['2026-01-25', '2026-01-26', '2026-01-27'];

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

type RunJson = {
  computations: Array<{
    name: string;
    date: string;
    status: string;
    detail: string | null;
    entities: { failed: number } | null;
  }>;
};
type StatusJson = {
  computations: Array<{
    name: string;
    date: string;
    status: string;
    reason: string | null;
    failedEntities: Array<{ entityId: string }>;
  }>;
};
const statusOf = (out: RunJson | StatusJson, name: string, date?: string) =>
  out.computations.find((c) => c.name === name && (date === undefined || c.date === date))?.status;

describe('a computation-date with failed entities (defect 1)', () => {
  it('is partial, never up to date: the next run without --force runs it again, then its dependents', async () => {
    project = await scenarioProject({ bodies: { totals: failWhileMarked('e003', BODIES.totals) } });
    await writeFile(join(project.root, 'FAIL'), '');
    const first = await cli(['run', '--date', D1, '--project', project.root]);
    expect(first.code).toBe(1);
    // The progress line says partial, as the summary does, not a green check (defect 10).
    expect(first.stderr).toContain(`⚠️ ${D1} Totals partial`);
    expect(first.stdout).toMatch(/⚠️ 2026-01-25 Totals +partial: 1 of 25 entities failed/);
    const status = json<StatusJson>(await cli(['status', '--date', D1, '--json', '--project', project.root]));
    expect(statusOf(status, 'Totals')).toBe('partial');
    expect(status.computations.find((c) => c.name === 'Totals')!.failedEntities.map((f) => f.entityId)).toEqual([
      'e003',
    ]);
    // Its dependents ran on the results that exist, and say so (not a word-less average over fewer entities).
    const doubled = status.computations.find((c) => c.name === 'Doubled')!;
    expect(doubled.reason).toBe('built on partial results of Totals (1 of its entities failed)');

    // The failure was transient: the same run again, without --force, produces the missing result.
    await rm(join(project.root, 'FAIL'));
    const analyzed = json<{ computations: Array<{ name: string; decision: string; reasons: string[] }> }>(
      await cli(['analyze', '--date', D1, '--json', '--project', project.root]),
    );
    const totals = analyzed.computations.find((c) => c.name === 'Totals')!;
    expect(totals.decision).toBe('run');
    expect(totals.reasons.join(' ')).toContain('last attempt was partial: 1 of 25 entities failed');
    const second = await cli(['run', '--date', D1, '--json', '--project', project.root]);
    expect(second.code).toBe(0);
    const out = json<RunJson>(second);
    expect(statusOf(out, 'Totals')).toBe('completed');
    // Its output changed (e003 is there now), so its dependents ran again too.
    expect(statusOf(out, 'Doubled')).toBe('completed');
    expect(statusOf(out, 'Summary')).toBe('completed');
    const stored = await storedResults(project.root, 'Totals', D1);
    expect(stored.find((r) => r.entityId === 'e003')?.result).toEqual({ total: expectedTotal(3, 0) });
    expect(stored).toHaveLength(25);
    // And now it is up to date.
    const third = await cli(['run', '--date', D1, '--json', '--project', project.root]);
    expect(third.code).toBe(0);
    expect(new Set(json<RunJson>(third).computations.map((c) => c.status))).toEqual(new Set(['skipped']));
  });

  it('show says the results of a partial or failed date are incomplete or older (defect 10)', async () => {
    project = await scenarioProject({ bodies: { totals: failWhileMarked('e003', BODIES.totals) } });
    await writeFile(join(project.root, 'FAIL'), '');
    await cli(['run', '--date', D1, '--computation', 'Totals', '--project', project.root]);
    const shown = await cli(['show', '--computation', 'Totals', '--date', D1, '--json', '--project', project.root]);
    const out = json<{ status: string; note: string; results: unknown[] }>(shown);
    expect(out.status).toBe('partial');
    expect(out.results).toHaveLength(24);
    expect(out.note).toContain(
      'Totals on 2026-01-25 is partial: 1 of 25 entities failed and have no result here (e003)',
    );
    const text = await cli(['show', '--computation', 'Totals', '--date', D1, '--project', project.root]);
    expect(text.stderr).toContain('is partial');
  });
});

describe('notes that say something (defect 10)', () => {
  it('a historical computation that ran for no entity is not said to have started from no previous result', async () => {
    project = await scenarioProject();
    // No rows on 2026-01-20: Streak runs there for no entity.
    const empty = await cli([
      'run',
      '--date',
      '2026-01-20',
      '--computation',
      'Streak',
      '--json',
      '--project',
      project.root,
    ]);
    expect(json<{ notes: string[] }>(empty).notes).toEqual([]);
    const first = await cli(['run', '--date', D1, '--computation', 'Streak', '--json', '--project', project.root]);
    expect(json<{ notes: string[] }>(first).notes).toHaveLength(1);
  });
});

describe('historical chains (defects 2 and 3)', () => {
  it('fail an entity whose previous date failed, naming that date, instead of restarting it from null; repairing that date carries the chain on', async () => {
    project = await scenarioProject({ bodies: { streak: failWhileMarked('e005', BODIES.streak) } });
    await writeFile(join(project.root, 'FAIL'), '');
    await runProject(project.root, { dates: [D1], computations: ['Streak'] });
    await rm(join(project.root, 'FAIL'));
    // e005 failed on D1 only; the later dates must not start it again from nothing.
    const later = await runProject(project.root, { dates: [D2, D3], computations: ['Streak'] });
    const d2 = later.states.get(`${D2}/Streak`)!;
    expect(d2.status).toBe('partial');
    expect(d2.failedIds).toEqual(['e005']);
    expect(d2.failures![0]!.error).toContain(`this entity failed on ${D1}`);
    expect(d2.failures![0]!.error).toContain(`compute run --date ${D1} --to ${D2} --computation Streak`);
    // D3 names where the failure started (D1), not only the date before it.
    const d3error = later.states.get(`${D3}/Streak`)!.failures![0]!.error;
    expect(d3error).toContain(`failed on ${D1}`);
    expect((await storedResults(project.root, 'Streak', D3)).find((r) => r.entityId === 'e005')).toBeUndefined();

    // Run the command the error prints: D1 is repaired, the later dates run again (their previous result
    // changed), and every value equals a clean run.
    const printed = /compute run (.*)$/.exec(d3error)![1]!.trim().split(/\s+/);
    expect(printed).toEqual(['--date', D1, '--to', D3, '--computation', 'Streak']);
    const repaired = await cli(['run', ...printed, '--json', '--project', project.root]);
    expect(repaired.code).toBe(0);
    expect(json<RunJson>(repaired).computations.map((c) => `${c.date}=${c.status}`)).toEqual([
      `${D1}=completed`,
      `${D2}=completed`,
      `${D3}=completed`,
    ]);
    const clean = await scenarioProject();
    try {
      await runProject(clean.root, { dates: [D1, D2, D3], computations: ['Streak'] });
      for (const date of [D1, D2, D3])
        expect(await storedResults(project.root, 'Streak', date), date).toEqual(
          await storedResults(clean.root, 'Streak', date),
        );
    } finally {
      await clean.remove();
    }
    expect((await storedResults(project.root, 'Streak', D3)).find((r) => r.entityId === 'e005')?.result).toEqual({
      days: 3,
    });
  });

  it('block a date whose previous date failed as a whole', async () => {
    project = await scenarioProject({ bodies: { streak: `if (ctx.date === '${D1}') throw new Error('all bad');` } });
    const outcome = await runProject(project.root, {
      dates: [D1, D2],
      computations: ['Streak'],
      settings: { breakerMinEntities: 1 },
    });
    expect(outcome.states.get(`${D1}/Streak`)!.status).toBe('failed');
    expect(outcome.states.get(`${D2}/Streak`)).toMatchObject({ status: 'blocked' });
    expect(outcome.states.get(`${D2}/Streak`)!.reason).toContain(`its previous date ${D1} is failed`);
  });

  it('a weekly historical computation builds on the previous week, not the previous day', async () => {
    const mondays = ['2026-01-05', '2026-01-12', '2026-01-19'];
    project = await tempProject({
      'computations/weekly.js': computationFile(
        'WeeklyCount',
        { type: 'per-entity', isHistorical: true, requires: { events: {} }, schedule: { frequency: 'weekly' } },
        'return { weeks: (ctx.previousResult?.weeks ?? 0) + 1 };',
      ),
    });
    await sql(project.root, [
      'CREATE TABLE events (date DATE, entity_id VARCHAR, value BIGINT)',
      `INSERT INTO events VALUES ${mondays.map((d) => `('${d}', 'a', 1)`).join(', ')}`,
    ]);
    for (const date of mondays) await runProject(project.root, { dates: [date] });
    expect((await storedResults(project.root, 'WeeklyCount', '2026-01-19'))[0]!.result).toEqual({ weeks: 3 });
  });
});

describe('tables read whole (defect 8)', () => {
  it('give their rows to the entities of the dated tables but add none', async () => {
    project = await tempProject({
      'computations/weather.js': computationFile(
        'Weather',
        {
          type: 'per-entity',
          requires: { readings: { lookback: 0 }, airports: { dateField: null } },
        },
        'return { readings: ctx.data.readings.length, city: ctx.data.airports[0]?.city ?? null };',
      ),
      'computations/airports.js': computationFile(
        'AirportList',
        { type: 'per-entity', requires: { airports: { dateField: null } } },
        'return { n: ctx.data.airports.length };',
      ),
    });
    await sql(project.root, [
      'CREATE TABLE readings (date DATE, entity_id VARCHAR, temp DOUBLE)',
      "INSERT INTO readings VALUES ('2026-01-26', 'LHR', 3.5), ('2026-01-26', 'CDG', 4.0)",
      'CREATE TABLE airports (entity_id VARCHAR, city VARCHAR)',
      `INSERT INTO airports SELECT 'A' || lpad(i::VARCHAR, 4, '0'), 'c' FROM range(500) t(i)`,
      "INSERT INTO airports VALUES ('LHR', 'London'), ('CDG', 'Paris')",
    ]);
    const outcome = await runProject(project.root, { dates: [D2] });
    expect(outcome.states.get(`${D2}/Weather`)!.counts).toMatchObject({ planned: 2, succeeded: 2 });
    expect(await storedResults(project.root, 'Weather', D2)).toEqual([
      { entityId: 'CDG', result: { readings: 1, city: 'Paris' } },
      { entityId: 'LHR', result: { readings: 1, city: 'London' } },
    ]);
    // Every required table read whole: then its rows are the entities.
    expect(outcome.states.get(`${D2}/AirportList`)!.counts).toMatchObject({ planned: 502 });
  });
});

describe('the repair window of a scheduled run (defect 4)', () => {
  it('re-runs a date three days back whose rows were corrected, carries the historical chain forward, and retries a partial date', async () => {
    const dates = ['2026-01-20', '2026-01-21', '2026-01-22', '2026-01-23', '2026-01-24'];
    project = await scenarioProject({ dates, bodies: { totals: failWhileMarked('e004', BODIES.totals) } });
    await writeFile(join(project.root, 'FAIL'), '');
    // Daily scheduled runs for the first four dates: e004 fails in Totals on 2026-01-23 (and on the day before).
    for (const date of dates.slice(0, 4)) {
      if (date === '2026-01-22') await rm(join(project.root, 'FAIL'));
      if (date === '2026-01-23') await writeFile(join(project.root, 'FAIL'), '');
      await cli(['run', '--date', date, '--schedule', '02:00', '--project', project.root]);
    }
    await rm(join(project.root, 'FAIL'));
    // A late correction three days before the next run's date.
    await sql(project.root, [
      "UPDATE events SET value = value + 100 WHERE date = DATE '2026-01-21' AND entity_id = 'e001'",
    ]);

    // analyze --repair says what the repair window would run again, and why, before anything runs.
    const preview = json<{ repair: Array<{ date: string; name: string; reason: string }> }>(
      await cli(['analyze', '--date', '2026-01-24', '--repair', '--json', '--project', project.root]),
    );
    const planned = preview.repair.map((r) => `${r.date}/${r.name}: ${r.reason}`);
    expect(planned).toContain('2026-01-21/Totals: input:events changed');
    expect(planned).toContain('2026-01-23/Totals: it is partial');
    expect(planned.filter((p) => p.startsWith('2026-01-20'))).toEqual([]);
    const next = await cli(['run', '--date', '2026-01-24', '--schedule', '02:00', '--json', '--project', project.root]);
    expect(next.code).toBe(0);
    const out = json<RunJson>(next);
    const ran = out.computations.map((c) => `${c.date}/${c.name}=${c.status}`);
    // The corrected date and the partial one ran again; the historical chain was carried to the run's date.
    expect(ran).toContain('2026-01-21/Totals=completed');
    expect(ran).toContain('2026-01-21/Streak=completed');
    expect(ran).toContain('2026-01-23/Totals=completed');
    // Each repaired row says why the window ran it.
    const detail = (date: string, name: string) =>
      out.computations.find((c) => c.date === date && c.name === name)?.detail;
    expect(detail('2026-01-21', 'Totals')).toBe('repaired: input:events changed');
    expect(detail('2026-01-23', 'Totals')).toBe('repaired: it is partial');
    expect(ran).toContain('2026-01-24/Totals=completed');
    // 2026-01-20 had nothing to repair: not part of this run's work.
    expect(ran.filter((r) => r.startsWith('2026-01-20'))).toEqual([]);

    // Every stored value equals a clean run of the corrected data.
    const clean = await scenarioProject({ dates });
    try {
      await sql(clean.root, [
        "UPDATE events SET value = value + 100 WHERE date = DATE '2026-01-21' AND entity_id = 'e001'",
      ]);
      await runProject(clean.root, { dates });
      for (const date of dates)
        for (const name of ['Totals', 'Doubled', 'Summary', 'Streak'])
          expect(await storedResults(project.root, name, date), `${date}/${name}`).toEqual(
            await storedResults(clean.root, name, date),
          );
    } finally {
      await clean.remove();
    }
  }, 120_000);

  it('repairs a historical date that failed as a whole and the blocked dates after it, in one scheduled run', async () => {
    const dates = ['2026-01-22', '2026-01-23', '2026-01-24', '2026-01-25'];
    project = await scenarioProject({
      dates,
      bodies: {
        streak: failWhileMarked({ condition: "ctx.date === '2026-01-22'" }, BODIES.streak),
      },
    });
    await writeFile(join(project.root, 'FAIL'), '');
    const broken = await runProject(project.root, { dates: dates.slice(0, 3), computations: ['Streak'] });
    expect(dates.slice(0, 3).map((d) => broken.states.get(`${d}/Streak`)!.status)).toEqual([
      'failed',
      'blocked',
      'blocked',
    ]);
    await rm(join(project.root, 'FAIL'));
    const preview = json<{ repair: Array<{ date: string; name: string }> }>(
      await cli(['analyze', '--date', dates[3]!, '--repair', '--json', '--project', project.root]),
    );
    expect(preview.repair.filter((r) => r.name === 'Streak').map((r) => r.date)).toEqual(dates.slice(0, 3));
    const next = await cli(['run', '--date', dates[3]!, '--schedule', '02:00', '--project', project.root]);
    expect(next.code).toBe(0);
    const clean = await scenarioProject({ dates });
    try {
      await runProject(clean.root, { dates, computations: ['Streak'] });
      for (const date of dates)
        expect(await storedResults(project.root, 'Streak', date), date).toEqual(
          await storedResults(clean.root, 'Streak', date),
        );
    } finally {
      await clean.remove();
    }
  }, 120_000);

  it('compute run --repair does the same by hand', async () => {
    project = await scenarioProject({ dates: [D1, D2], bodies: { totals: failWhileMarked('e004', BODIES.totals) } });
    await writeFile(join(project.root, 'FAIL'), '');
    expect((await cli(['run', '--date', D1, '--project', project.root])).code).toBe(1);
    await rm(join(project.root, 'FAIL'));
    const repaired = await cli(['run', '--date', D2, '--repair', '--json', '--project', project.root]);
    expect(repaired.code).toBe(0);
    const out = json<RunJson>(repaired).computations.map((c) => `${c.date}/${c.name}=${c.status}`);
    expect(out).toContain(`${D1}/Totals=completed`);
    expect(out).toContain(`${D2}/Totals=completed`);
    // Without --repair a run of D2 would not have looked at D1.
    expect((await storedResults(project.root, 'Totals', D1)).map((r) => r.entityId)).toContain('e004');
  }, 120_000);

  it('gives up after three automatic tries of the same version, saying so and naming --force', async () => {
    project = await scenarioProject({
      dates: [D1, D2],
      bodies: { totals: `if (ctx.entityId === 'e002') throw new Error('always'); ${BODIES.totals}` },
      config: { repairDays: 1 },
    });
    for (let i = 0; i < 4; i++) await cli(['run', '--date', D2, '--schedule', '02:00', '--project', project.root]);
    const status = json<StatusJson>(await cli(['status', '--date', D2, '--json', '--project', project.root]));
    const totals = status.computations.find((c) => c.name === 'Totals')!;
    expect(totals.status).toBe('partial');
    expect(totals.reason).toContain('3 automatic tries of this version failed');
    // Giving up changes only the reason: which entities failed is still known (a historical chain after it relies on it).
    expect(totals.failedEntities.map((f) => f.entityId)).toEqual(['e002']);
    expect(totals.reason).toContain(`compute run --date ${D2} --computation Totals --force`);
  }, 120_000);
});
