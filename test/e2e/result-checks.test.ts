import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, json } from '../support/cli.ts';
import { runProject, storedResults } from '../support/embedded.ts';
import { BODIES, CONFIGS, scenarioProject } from '../support/scenario.ts';
import { PACKAGE_ROOT, type TempProject } from '../support/temp-project.ts';

const D1 = '2026-01-25';
const D2 = '2026-01-26';

/** Totals (per-entity, 25 entities, totals 0 to 75) with the given checks source and body. */
function totalsFile(checks: string, body = BODIES.totals): string {
  return `import { Computation } from 'computation-system';

export default class Totals extends Computation {
  static getConfig() {
    return {
      name: 'Totals',
      type: 'per-entity',
      requires: ${JSON.stringify(CONFIGS.Totals.requires)},
      checks: ${checks},
    };
  }

  async process(ctx) {
    ${body}
  }
}
`;
}

const statuses = (outcome: Awaited<ReturnType<typeof runProject>>) =>
  Object.fromEntries([...outcome.states].map(([key, state]) => [key, state.status]));

/** How many batches of a computation the run sent to workers: 0 when it did not run process(). */
const batchesOf = (outcome: Awaited<ReturnType<typeof runProject>>, name: string) =>
  outcome.events.filter((e) => e.type === 'batch.ready' && e.computation === name).length;

interface StatusJson {
  computations: Array<{ name: string; status: string; error: string | null; reason: string | null; checks: unknown }>;
}

describe('result checks, on the embedded mode', () => {
  let project: TempProject | undefined;
  afterEach(async () => {
    await project?.remove();
    project = undefined;
  });

  it('a failing error check fails the computation-date, blocks its dependents and logs one structured line', async () => {
    project = await scenarioProject({ dates: [D1] });
    await project.write('computations/totals.js', totalsFile("[{ type: 'range', field: 'total', max: 40 }]"));
    const first = await runProject(project.root, { dates: [D1] });
    expect(statuses(first)).toEqual({
      [`${D1}/Totals`]: 'failed',
      [`${D1}/Doubled`]: 'blocked',
      [`${D1}/Summary`]: 'blocked',
      [`${D1}/Streak`]: 'completed',
    });
    const totals = first.states.get(`${D1}/Totals`)!;
    // Entity e has (e % 3) + 1 rows valued e, e + 1, ...: totals above 40 are e014's 45 (14 + 15 + 16),
    // e017's 54, e020's 63, e022's 45 (22 + 23) and e023's 72.
    expect(totals.error).toBe(
      "check 'range(total)' failed: 5 of 25 results failed: e014: total is 45, above 40; e017: total is 54, above 40; " +
        'e020: total is 63, above 40; e022: total is 45, above 40; e023: total is 72, above 40',
    );
    expect(totals.checks?.outcomes).toEqual([
      expect.objectContaining({ name: 'range(total)', severity: 'error', passed: false, failed: 5, checked: 25 }),
    ]);
    expect(first.states.get(`${D1}/Doubled`)!.reason).toContain('dependency Totals is failed on 2026-01-25');
    const lines = first.logs.filter((line) => line.event === 'check.failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'ERROR',
      computation: 'Totals',
      date: D1,
      check: 'range(total)',
      checkSeverity: 'error',
      failed: 5,
      checked: 25,
    });
    expect((lines[0]!.sample as unknown[]).length).toBe(5);
    // The Terraform module's log-based metric matches this line and extracts its labels from its fields.
    const monitoring = await readFile(join(PACKAGE_ROOT, 'infra/terraform/monitoring.tf'), 'utf8');
    const metric = monitoring.slice(monitoring.indexOf('resource "google_logging_metric" "failed_checks"'));
    expect(metric).toContain(`jsonPayload.event="${lines[0]!.event as string}"`);
    const extracted = [...metric.slice(0, metric.indexOf('\n}\n')).matchAll(/EXTRACT\(jsonPayload\.(\w+)\)/g)].map(
      (m) => m[1]!,
    );
    expect(extracted).toEqual(['computation', 'check', 'checkSeverity']);
    for (const field of extracted) expect(typeof lines[0]![field]).toBe('string');
    // The summary says which check failed; status --json carries the outcomes.
    expect(first.summary.computations.find((r) => r.name === 'Totals')!.detail).toContain(
      "check 'range(total)' failed",
    );
    expect(first.summary.computations.find((r) => r.name === 'Totals')!.checks).toEqual([
      expect.objectContaining({ name: 'range(total)', passed: false, failed: 5 }),
    ]);
    const shown = await cli(['show', '--computation', 'Totals', '--date', D1, '--project', project.root]);
    expect(shown.stdout).toContain(
      'check range(total) (error): FAILED: 5 of 25 results failed: e014: total is 45, above 40;',
    );
    expect(shown.stdout).toContain('e014\t{"total":45}');
    const shownJson = json<{ checks: unknown }>(
      await cli(['show', '--computation', 'Totals', '--date', D1, '--json', '--project', project.root]),
    );
    expect(shownJson.checks).toEqual([expect.objectContaining({ name: 'range(total)', passed: false })]);
    const status = json<StatusJson>(await cli(['status', '--date', D1, '--json', '--project', project.root]));
    expect(status.computations.find((c) => c.name === 'Totals')).toMatchObject({
      status: 'failed',
      checks: [{ name: 'range(total)', passed: false, failed: 5 }],
    });
  }, 60_000);

  it('editing only the check judges the stored results again without running the computation; dependents then run', async () => {
    project = await scenarioProject({ dates: [D1] });
    await project.write('computations/totals.js', totalsFile("[{ type: 'range', field: 'total', max: 40 }]"));
    await runProject(project.root, { dates: [D1] });
    const stored = await storedResults(project.root, 'Totals', D1);

    await project.write('computations/totals.js', totalsFile("[{ type: 'range', field: 'total', max: 100 }]"));
    const analysis = json<{
      computations: Array<{ name: string; decision: string; changed: string[]; checks: unknown }>;
    }>(await cli(['analyze', '--date', D1, '--json', '--project', project.root]));
    expect(analysis.computations.find((c) => c.name === 'Totals')).toMatchObject({
      decision: 'run',
      changed: ['checks'],
      reasons: [
        expect.stringMatching(/^last attempt was failed: check 'range\(total\)' failed: 5 of 25/),
        'its result checks changed',
      ],
      checks: [{ name: 'range(total)', passed: false }],
    });
    const second = await runProject(project.root, { dates: [D1] });
    expect(statuses(second)).toEqual({
      [`${D1}/Totals`]: 'completed',
      [`${D1}/Doubled`]: 'completed',
      [`${D1}/Summary`]: 'completed',
      [`${D1}/Streak`]: 'skipped',
    });
    expect(batchesOf(second, 'Totals')).toBe(0);
    expect(second.states.get(`${D1}/Totals`)!.reason).toBe(
      'only its result checks changed: the stored results were judged again',
    );
    expect(await storedResults(project.root, 'Totals', D1)).toEqual(stored);

    // A warn check that fails is reported, blocks nothing, and leaves dependents up to date.
    await project.write(
      'computations/totals.js',
      totalsFile(
        "[{ type: 'range', field: 'total', max: 100 }, { type: 'range', field: 'total', max: 40, name: 'small', severity: 'warn' }]",
      ),
    );
    const third = await runProject(project.root, { dates: [D1] });
    expect(statuses(third)).toEqual({
      [`${D1}/Totals`]: 'completed',
      [`${D1}/Doubled`]: 'skipped',
      [`${D1}/Summary`]: 'skipped',
      [`${D1}/Streak`]: 'skipped',
    });
    expect(batchesOf(third, 'Totals')).toBe(0);
    expect(third.states.get(`${D1}/Totals`)!.reason).toMatch(
      /; warning check 'small' failed: 5 of 25 results failed: e014: total is 45, above 40/,
    );
    const printed = await cli(['run', '--date', D1, '--project', project.root]);
    expect(printed.stdout).toContain(
      'Result checks failed: Totals small on 2026-01-25 (warn); see compute show --computation Totals --date 2026-01-25',
    );
    expect(third.logs.filter((line) => line.event === 'check.failed')).toEqual([
      expect.objectContaining({ severity: 'WARNING', check: 'small', checkSeverity: 'warn' }),
    ]);
  }, 90_000);

  it('a fixed computation passes its check on the next run and its dependents run', async () => {
    project = await scenarioProject({ dates: [D1] });
    const buggy = 'return { total: -ctx.data.events.reduce((sum, row) => sum + row.value, 0) };';
    await project.write('computations/totals.js', totalsFile("[{ type: 'range', field: 'total', min: 0 }]", buggy));
    const first = await runProject(project.root, { dates: [D1] });
    expect(first.states.get(`${D1}/Totals`)!.error).toMatch(/^check 'range\(total\)' failed: 24 of 25 results failed/);
    await project.write('computations/totals.js', totalsFile("[{ type: 'range', field: 'total', min: 0 }]"));
    const second = await runProject(project.root, { dates: [D1] });
    expect(batchesOf(second, 'Totals')).toBeGreaterThan(0);
    expect(statuses(second)).toMatchObject({
      [`${D1}/Totals`]: 'completed',
      [`${D1}/Doubled`]: 'completed',
      [`${D1}/Summary`]: 'completed',
    });
    expect(second.states.get(`${D1}/Totals`)!.checks?.outcomes.map((o) => [o.name, o.passed])).toEqual([
      ['range(total)', true],
    ]);
  }, 60_000);

  it('every built-in and a custom check, on a global computation and across two dates', async () => {
    project = await scenarioProject({ dates: [D1, D2] });
    await project.write(
      'computations/totals.js',
      totalsFile(`[
        { type: 'notNull', field: 'total' },
        { type: 'unique', field: 'total', severity: 'warn' },
        { type: 'count', within: 0.01 },
        { type: 'custom', name: 'even', severity: 'warn', check: (result) => result.total % 2 === 0 || 'odd total ' + result.total },
      ]`),
    );
    await project.write(
      'computations/summary.js',
      `import { Computation } from 'computation-system';

export default class Summary extends Computation {
  static getConfig() {
    return {
      name: 'Summary',
      type: 'global',
      dependencies: ['Doubled'],
      checks: [{ type: 'notNull', field: 'sum' }, { type: 'range', field: 'entities', min: 25, name: 'everyone' }],
    };
  }

  async process(ctx) {
    ${BODIES.summary}
  }
}
`,
    );
    const outcome = await runProject(project.root, { dates: [D1, D2] });
    const on = (date: string) =>
      Object.fromEntries(
        outcome.states.get(`${date}/Totals`)!.checks!.outcomes.map((o) => [o.name, [o.passed, o.message]]),
      );
    // Entity e007 has no rows on D2: 24 results after 25, more than 1% fewer.
    expect(on(D2).count).toEqual([false, '24 results; the previous date had 25 (allowed 25 to 25)']);
    expect(on(D1).count).toEqual([true, '25 results; no previous date to compare with']);
    expect(on(D1)['notNull(total)']).toEqual([true, '25 results passed']);
    expect(on(D1)['unique(total)']![0]).toBe(false);
    expect(on(D1).even![1]).toMatch(/^16 of 25 results failed: e001: odd total 3; e002: odd total 9; /);
    expect(statuses(outcome)).toMatchObject({
      [`${D1}/Totals`]: 'completed',
      [`${D1}/Summary`]: 'completed',
      [`${D2}/Totals`]: 'failed',
      [`${D2}/Summary`]: 'blocked',
    });
    // On the global computation, its one result is judged.
    expect(outcome.states.get(`${D1}/Summary`)!.checks!.outcomes.map((o) => [o.name, o.passed, o.checked])).toEqual([
      ['notNull(sum)', true, 1],
      ['everyone', true, 1],
    ]);
  }, 60_000);
});
