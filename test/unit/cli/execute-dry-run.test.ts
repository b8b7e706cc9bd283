import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, json } from '../../support/cli.ts';
import { runProject } from '../../support/embedded.ts';
import { scenarioProject } from '../../support/scenario.ts';
import type { TempProject } from '../../support/temp-project.ts';

const D = '2026-01-26';

describe('compute execute --dry-run says why it cannot show results', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await scenarioProject({ entities: 12, dates: [D] });
  });
  afterAll(() => project.remove());

  const dryRun = (...args: string[]) => cli(['execute', '--dry-run', '--date', D, '--project', project.root, ...args]);

  it('names the dependencies with no result instead of computing from empty inputs, exit 1 as a run would', async () => {
    const result = await dryRun('--computation', 'Doubled');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `Doubled would be blocked on ${D}: dependency Totals has not run. Run it first: compute run --date ${D} --computation Totals --project ${project.root}\n`,
    );
    const asJson = json<{ blocked: string[]; results: unknown[] }>(await dryRun('--computation', 'Doubled', '--json'));
    expect(asJson).toMatchObject({ blocked: ['Totals has not run'], results: [] });
  });

  it("computes once the dependencies ran, and says an unknown entity is not in the date's entity set", async () => {
    await runProject(project.root, { dates: [D], computations: ['Totals'] });
    const one = json<{ results: Array<{ entityId: string; result: unknown }> }>(
      await dryRun('--computation', 'Doubled', '--entity-id', 'e004', '--json'),
    );
    expect(one.results).toEqual([{ entityId: 'e004', result: { doubled: 2 * (4 + 5) } }]);

    const unknown = await dryRun('--computation', 'Doubled', '--entity-id', 'e04');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `Entity 'e04' is not among the 12 entities of Doubled on ${D} (those with rows in a required table's window, or a dependency's result). Did you mean`,
    );
    expect(unknown.stdout).toBe('');
    // With --json the reason is in the output too, not only on stderr.
    const unknownJson = await dryRun('--computation', 'Doubled', '--entity-id', 'e04', '--json');
    expect(unknownJson.code).toBe(1);
    expect(json<{ unknownEntity: string }>(unknownJson).unknownEntity).toMatch(
      /^Entity 'e04' is not among the 12 entities of Doubled .* Did you mean/,
    );
  });
});
