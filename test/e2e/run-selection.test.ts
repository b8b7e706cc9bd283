import { afterEach, describe, expect, it } from 'vitest';
import { cli, json, type CliResult } from '../support/cli.ts';
import { storedResults } from '../support/embedded.ts';
import { BODIES, CONFIGS, computationFile, expectedTotal, scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';

const D = '2026-01-26';
const [D1, D2] = ['2026-01-25', '2026-01-26'];

interface RunJson {
  runId: string;
  status: string;
  computations: Array<{ name: string; date: string; status: string }>;
  resume: string | null;
  rerun: string | null;
}

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

/** The argv of a command the CLI printed (`compute run ...`), as a shell would split it (paths here hold no spaces). */
function argvOf(command: string): string[] {
  const words = command.trim().split(/\s+/);
  expect(words[0]).toBe('compute');
  return words.slice(1);
}

const rows = (result: CliResult) => json<RunJson>(result).computations.map((r) => [r.date, r.name, r.status]);

describe('--computation takes several, and printed commands do what they say (issue 19, item 5)', () => {
  it('repeated and comma-listed --computation select every name, for run, analyze and render', async () => {
    project = await scenarioProject({ entities: 6, dates: [D] });
    const analyzed = await cli(
      ['analyze', '--date', D, '--computation', 'Totals', '--computation', 'Doubled,Summary', '--json'],
      { cwd: project.root },
    );
    expect(analyzed.code).toBe(0);
    expect(json<{ computations: Array<{ name: string }> }>(analyzed).computations.map((c) => c.name)).toEqual([
      'Totals',
      'Doubled',
      'Summary',
    ]);
    const rendered = await cli(
      ['render', '--date', D, '--computation', 'Totals', '--computation', 'Streak', '--json'],
      { cwd: project.root },
    );
    expect(
      json<{ computations: Array<{ computation: string }> }>(rendered).computations.map((c) => c.computation),
    ).toEqual(['Totals', 'Streak']);
    const ran = await cli(['run', '--date', D, '--computation', 'Totals', '--computation', 'Doubled', '--json'], {
      cwd: project.root,
    });
    expect(ran.code).toBe(0);
    expect(rows(ran)).toEqual([
      [D, 'Totals', 'completed'],
      [D, 'Doubled', 'completed'],
    ]);
  });

  it('a single-name command refuses several names, saying which commands take them', async () => {
    project = await scenarioProject({ entities: 3, dates: [D] });
    const shown = await cli([
      'show',
      '--date',
      D,
      '--computation',
      'Totals',
      '--computation',
      'Doubled',
      '--project',
      project.root,
    ]);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain('--computation takes one value; got --computation Totals --computation Doubled');
  });

  it('"Resume with:" prints one command that, once the fault is fixed, runs every computation of the run', async () => {
    project = await scenarioProject({
      entities: 6,
      dates: [D1, D2],
      // Every entity throws: the breaker fails Totals, and Doubled is blocked behind it.
      bodies: { totals: "throw new Error('broken');" },
      config: { execution: { breakerMinEntities: 1 } },
    });
    const first = await cli([
      'run',
      '--date',
      D1,
      '--to',
      D2,
      '--computation',
      'Totals',
      '--computation',
      'Doubled',
      '--project',
      project.root,
    ]);
    expect(first.code).toBe(1);
    const resume = first.stdout.split('\n').find((line) => line.startsWith('Resume with: '));
    expect(resume).toBe(
      `Resume with: compute run --date ${D1} --to ${D2} --computation Totals,Doubled --project ${project.root}`,
    );
    await project.write('computations/totals.js', computationFile('Totals', CONFIGS.Totals, BODIES.totals));
    const again = await cli([...argvOf(resume!.slice('Resume with: '.length)), '--json']);
    expect(again.code).toBe(0);
    expect(rows(again)).toEqual([
      [D1, 'Totals', 'completed'],
      [D1, 'Doubled', 'completed'],
      [D2, 'Totals', 'completed'],
      [D2, 'Doubled', 'completed'],
    ]);
    expect((await storedResults(project.root, 'Doubled', D2)).length).toBe(6);
  });

  it('the run-again hint names every computation with failed entities, and running it re-runs them all', async () => {
    project = await scenarioProject({
      entities: 6,
      dates: [D1, D2],
      bodies: {
        totals: `if (ctx.entityId === 'e003') throw new Error('bad row'); ${BODIES.totals}`,
        streak: `if (ctx.entityId === 'e004') throw new Error('bad row'); ${BODIES.streak}`,
      },
    });
    const first = await cli(['run', '--date', D1, '--to', D2, '--computation', 'Totals,Streak', '--json'], {
      cwd: project.root,
    });
    expect(first.code).toBe(1);
    const hint = json<RunJson>(first).rerun!;
    // Partial dates are never up to date: no --force needed.
    expect(hint).toBe(`compute run --date ${D1} --to ${D2} --computation Streak,Totals --project ${project.root}`);
    const again = await cli([...argvOf(hint), '--json']);
    // Both ran again on both dates (and are still partial: their bad entity still fails).
    expect(json<RunJson>(again).computations.map((r) => [r.date, r.name])).toEqual([
      [D1, 'Streak'],
      [D1, 'Totals'],
      [D2, 'Streak'],
      [D2, 'Totals'],
    ]);
    expect(json<RunJson>(again).computations.every((r) => r.status === 'partial')).toBe(true);
  });
});

describe('compute run exits 0 only when everything it covered completed or was up to date (item 6)', () => {
  it('a blocked computation exits 1, and the run is not listed as completed', async () => {
    project = await scenarioProject({ entities: 4, dates: [D] });
    // Totals never ran on D: Doubled is blocked.
    const result = await cli(['run', '--date', D, '--computation', 'Doubled', '--project', project.root]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Execution Summary: run \S+ failed/);
    expect(result.stdout).toContain(`⛔ ${D} Doubled`);
    const status = json<{ runs: Array<{ status: string }> }>(
      await cli(['status', '--json', '--project', project.root]),
    );
    expect(status.runs[0]!.status).toBe('failed');
  });

  it('an impossible computation exits 1; skipped and completed exit 0', async () => {
    project = await scenarioProject({ entities: 4, dates: [D] });
    // No events on D1: Totals (mandatory events) is impossible.
    const impossible = await cli(['run', '--date', D1, '--computation', 'Totals', '--project', project.root]);
    expect(impossible.code).toBe(1);
    expect(impossible.stdout).toContain(`🚫 ${D1} Totals`);
    expect((await cli(['run', '--date', D, '--computation', 'Totals', '--project', project.root])).code).toBe(0);
    const skipped = await cli(['run', '--date', D, '--computation', 'Totals', '--json', '--project', project.root]);
    expect(skipped.code).toBe(0);
    expect(rows(skipped)).toEqual([[D, 'Totals', 'skipped']]);
  });
});

describe('compute execute --entity-id never runs another entity (item 7)', () => {
  it('refuses without --dry-run, exit 2 naming --dry-run, and stores nothing', async () => {
    project = await scenarioProject({ entities: 4, dates: [D] });
    for (const flag of ['--entity-id', '--entityId']) {
      const result = await cli(['execute', '--computation', 'Totals', '--date', D, flag, 'e001'], {
        cwd: project.root,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `add --dry-run to compute and print e001's result (compute execute --computation Totals --date ${D} --entity-id e001 --dry-run)`,
      );
    }
    expect(await storedResults(project.root, 'Totals', D)).toEqual([]);
    const dry = await cli(
      ['execute', '--computation', 'Totals', '--date', D, '--entityId', 'e001', '--dry-run', '--json'],
      {
        cwd: project.root,
      },
    );
    expect(json<{ results: unknown[] }>(dry).results).toEqual([
      { entityId: 'e001', result: { total: expectedTotal(1, 0) } },
    ]);
  });
});

describe('smaller items (item 10)', () => {
  it('says nothing was due instead of "completed in 0.0 s ()"', async () => {
    project = await scenarioProject({ entities: 2, dates: [D] });
    // Every computation is scheduled at 02:00: a 05:00 scheduled run holds none.
    const result = await cli(['run', '--date', D, '--schedule', '05:00', '--project', project.root]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`Execution Summary: run \\S+ completed in \\d+\\.\\d s: nothing was due on ${D}, so nothing ran`),
    );
    expect(result.stdout).not.toContain('()');
  });

  it('--computation Nope is bad usage (exit 2) with the nearest name, for every command', async () => {
    project = await scenarioProject({ entities: 2, dates: [D] });
    for (const command of ['run', 'analyze', 'show', 'execute', 'render']) {
      const result = await cli([command, '--date', D, '--computation', 'Totls', '--project', project.root]);
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toContain("No computation named 'Totls' (--computation). Did you mean 'Totals'?");
    }
  });

  it("validate finds a misspelled ctx.getDependency('Totls'); at run time the error suggests the near name", async () => {
    project = await scenarioProject({
      entities: 2,
      dates: [D],
      bodies: { doubled: "const t = ctx.getDependency('Totls'); return { doubled: t.total * 2 };" },
    });
    const validated = await cli(['validate', '--json', '--project', project.root]);
    expect(validated.code).toBe(1);
    expect(json<{ errors: Array<{ code: string; message: string }> }>(validated).errors).toMatchObject([
      {
        code: 'DEPENDENCY_NOT_LISTED',
        message:
          "computations/doubled.js:9: computation 'Doubled' calls getDependency('Totls'), but 'Totls' is not among its dependencies (Totals), so that call fails when it runs. Did you mean 'Totals'?",
      },
    ]);
    // A name validate cannot read (built at run time) fails the entity with the same suggestion.
    await project.write(
      'computations/doubled.js',
      computationFile('Doubled', CONFIGS.Doubled, "const t = ctx.getDependency(['Tot', 'ls'].join('')); return t;"),
    );
    expect((await cli(['run', '--date', D, '--computation', 'Totals', '--project', project.root])).code).toBe(0);
    const dry = await cli(['execute', '--dry-run', '--computation', 'Doubled', '--date', D, '--project', project.root]);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain(
      "Doubled asked for dependency 'Totls', which is not in its config's dependencies (Totals). Did you mean 'Totals'?",
    );
  });
});
