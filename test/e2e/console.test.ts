import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser, startConsole } from '../support/browser.ts';
import { cli, json } from '../support/cli.ts';
import { sql } from '../support/embedded.ts';
import { addScaled, BODIES, computationFile, scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';
import { serve, stop } from '../support/topology.ts';

const [D1, D2, D3, D4] = ['2026-01-25', '2026-01-26', '2026-01-27', '2026-01-28'] as const;
/** SCREENSHOTS=1 writes the README's screenshots into docs/; otherwise they go to a temporary folder. */
const SHOTS = process.env.SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/images/', import.meta.url)) : null;

const missing = browserMissing();

interface GridJson {
  dates: string[];
  computations: Array<{ name: string; date: string; status: string }>;
}

/**
 * The console in headless Chromium over a project whose grid holds every
 * status: D1 skipped (run twice), Totals partial on D2, Summary failed on D3
 * and Report blocked behind it, Totals impossible on D4 (no rows).
 */
describe.skipIf(missing !== null)('web console in a real browser', () => {
  let project: TempProject;
  let browser: Browser;
  let consoleUrl: string;
  let stopConsole: () => Promise<void>;
  let shots: string;

  beforeAll(async () => {
    project = await scenarioProject({
      entities: 6,
      dates: [D1, D2, D3, D4],
      bodies: {
        totals: `if (ctx.entityId === 'e003' && ctx.date === '${D2}') throw new Error('bad row for e003'); ${BODIES.totals}`,
        summary: `if (ctx.date === '${D3}') throw new Error('summary exploded'); ${BODIES.summary}`,
      },
    });
    await addScaled(
      project,
      `if (ctx.entityId === 'e000' && (await import('node:fs')).existsSync(new URL('../SLOW', import.meta.url))) await new Promise((r) => setTimeout(r, 2500));\n`,
    );
    await project.write(
      'computations/report.js',
      computationFile('Report', { type: 'global', dependencies: ['Summary'] }, 'return { ok: true };'),
    );
    await sql(project.root, [`DELETE FROM events WHERE date = DATE '${D4}'`]);
    expect((await cli(['run', '--date', D1, '--project', project.root])).code).toBe(0);
    expect((await cli(['run', '--date', D1, '--to', D4, '--project', project.root])).code).toBe(1);
    shots = SHOTS ?? (await mkdtemp(join(tmpdir(), 'console-shots-')));
    browser = await launchBrowser();
    ({ url: consoleUrl, stop: stopConsole } = await startConsole(project.root));
  }, 120_000);

  afterAll(async () => {
    await stopConsole?.();
    await browser?.close();
    await project?.remove();
    if (SHOTS === null && shots !== undefined) await rm(shots, { recursive: true, force: true });
  });

  async function open(path: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    const response = await page.goto(`${consoleUrl}${path}`);
    expect(response?.status(), path).toBe(200);
    return page;
  }

  it('shows the grid cell for cell as compute status --json has it, every status among them', async () => {
    const expected = json<GridJson>(
      await cli(['status', '--from', D1, '--to', D4, '--json', '--project', project.root]),
    );
    const page = await open(`/ui/?from=${D1}&to=${D4}`);
    const dates = await page.locator('table.grid thead th.d').allTextContents();
    expect(dates).toEqual(expected.dates);
    const rows: Array<{ name: string; cells: Array<string | null> }> = [];
    for (const tr of await page.locator('table.grid tbody tr').all()) {
      const cells = await Promise.all((await tr.locator('td a').all()).map((a) => a.getAttribute('aria-label')));
      rows.push({ name: (await tr.locator('th').textContent())!.trim(), cells });
    }
    const shown = rows.flatMap((r) => r.cells.map((status, i) => ({ name: r.name, date: dates[i]!, status })));
    expect(shown).toEqual(expected.computations.map(({ name, date, status }) => ({ name, date, status })));
    expect(new Set(shown.map((c) => c.status))).toEqual(
      new Set(['completed', 'skipped', 'partial', 'failed', 'blocked', 'impossible']),
    );
    // Colour is not the only signal: each cell shows a symbol too.
    expect(await page.locator(`table.grid td a[aria-label="failed"]`).first().textContent()).toBe('✗');
    // Arrow keys move between cells.
    await page.locator('table.grid td a').first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('table.grid td a:focus').getAttribute('href')).toBe(`/ui/computations/Streak/${D2}`);
    // Filters: by status, then by name.
    const failed = await open(`/ui/?from=${D1}&to=${D4}&status=failed`);
    expect(await failed.locator('table.grid tbody th').allTextContents()).toEqual(['Summary']);
    const named = await open(`/ui/?from=${D1}&to=${D4}&q=tot`);
    expect(await named.locator('table.grid tbody th').allTextContents()).toEqual(['Totals']);
    await page.screenshot({ path: join(shots, 'console-grid.png') });
    // A narrow window still shows the table (it scrolls inside its box).
    const narrow = await open(`/ui/?from=${D1}&to=${D4}`, { width: 390, height: 800 });
    expect(await narrow.locator('table.grid').isVisible()).toBe(true);
  });

  it('draws the DAG with every computation and highlights what is upstream and downstream', async () => {
    const page = await open(`/ui/graph?date=${D3}`);
    // Each node's text: its status symbol, then its name.
    const names = (await page.locator('svg.dag a[data-name] text').allTextContents()).map((t) =>
      t.replace(/^\S+ /, ''),
    );
    expect(names.sort()).toEqual(['Doubled', 'Report', 'Scaled', 'Streak', 'Summary', 'Totals']);
    expect(await page.locator('svg.dag a[data-name="Summary"]').getAttribute('aria-label')).toBe('Summary: failed');
    await page.locator('svg.dag a[data-name="Doubled"]').focus();
    const classes = async (name: string) => page.locator(`svg.dag a[data-name="${name}"]`).getAttribute('class');
    expect(await classes('Totals')).toContain('up');
    expect(await classes('Summary')).toContain('down');
    expect(await classes('Report')).toContain('down');
    expect((await classes('Streak')) ?? '').not.toMatch(/up|down|sel/); // unrelated: dimmed, not highlighted
    await expect.poll(() => page.locator('#dag-selection').textContent()).toContain('1 upstream (Totals)');
    const edge = (from: string, to: string) =>
      page.locator(`svg.dag path[data-from="${from}"][data-to="${to}"]`).getAttribute('class');
    expect(await edge('Totals', 'Doubled')).toBe('edge up');
    expect(await edge('Summary', 'Report')).toBe('edge down');
    expect(await edge('Totals', 'Scaled')).toBe('edge');
    await page.screenshot({ path: join(shots, 'console-graph.png') });
  });

  it('names the failed entities, and the changed component after a late row and after a rule edit', async () => {
    const partial = await open(`/ui/computations/Totals/${D2}`);
    expect(await partial.locator('dd.status').textContent()).toContain('partial');
    expect(await partial.locator('table.failures').textContent()).toContain('e003');
    expect(await partial.locator('table.failures').textContent()).toContain('bad row for e003');
    expect(await partial.getByText('SELECT', { exact: false }).first().isVisible()).toBe(true);

    await sql(project.root, [`INSERT INTO events VALUES ('${D1}', 'e001', 100)`]);
    expect((await cli(['run', '--date', D1, '--project', project.root])).code).toBe(0);
    const late = await open(`/ui/computations/Totals/${D1}`);
    expect(await late.locator('ul.changed').textContent()).toContain('input:events');
    // Its dependency's page is one link away, and says why it ran too.
    await late.getByRole('link', { name: 'Doubled' }).first().click();
    await late.waitForURL(`**/ui/computations/Doubled/${D1}`);
    expect(await late.locator('ul.changed').textContent()).toContain('dependency:Totals');

    await project.write('rules/scale.js', 'export const factor = 3;\n');
    expect((await cli(['run', '--date', D1, '--project', project.root])).code).toBe(0);
    const rule = await open(`/ui/computations/Scaled/${D1}`);
    expect(await rule.locator('ul.changed').textContent()).toBe('rule:scale');
    await rule.screenshot({ path: join(shots, 'console-computation.png'), fullPage: true });
  });

  it('analyzes a range, asks for confirmation, runs it and shows its progress live until it ends', async () => {
    await writeFile(join(project.root, 'SLOW'), '');
    try {
      const page = await open(`/ui/analyze?from=${D1}&to=${D2}&computation=Scaled&force=on`);
      expect(await page.locator('p.summary').textContent()).toMatch(/^2 would run, 0 skip/);
      await page.getByRole('button', { name: 'Run this…' }).click();
      await page.getByRole('button', { name: 'Confirm: start the run' }).click();
      await page.waitForURL(/\/ui\/runs\/run-/);
      await page.evaluate('window.marker = 1');
      expect(await page.locator('[data-run-status]').getAttribute('data-run-status')).toBe('running');
      // The page updates itself: the same document (no reload) ends up showing the finished run.
      await expect
        .poll(() => page.locator('[data-run-status]').getAttribute('data-run-status'), { timeout: 60_000 })
        .not.toBe('running');
      expect(await page.evaluate('window.marker')).toBe(1);
      expect(await page.locator('[data-run-status]').getAttribute('data-run-status')).toBe('completed');
      expect(await page.locator('table').last().textContent()).toContain('Scaled');
      const runId = decodeURIComponent(page.url().split('/').at(-1)!);
      const runs = json<{ runs: Array<{ runId: string; counts: Record<string, number> }> }>(
        await cli(['runs', '--json', '--project', project.root]),
      );
      expect(runs.runs[0]).toMatchObject({ runId, counts: { completed: 2 } });
    } finally {
      await unlink(join(project.root, 'SLOW'));
    }
  }, 90_000);

  const TOKEN = 'console-secret-0123456789';

  it("refuses an unauthenticated browser at the planner's /ui, as at /api, and serves one with the token", async () => {
    // `compute serve planner` as deployed: the Pub/Sub bus (never reached here: nothing is published) and the bearer token.
    const env = {
      COMPUTE_BUS: JSON.stringify({ type: 'pubsub', projectId: 'demo-console' }),
      PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
    };
    const planner = await serve(project.root, 'planner', { ...env, COMPUTE_API_TOKEN: TOKEN });
    const off = await serve(project.root, 'planner', env);
    try {
      const anonymous = await browser.newPage();
      const refused = await anonymous.goto(`${planner.url}ui/`);
      expect(refused?.status()).toBe(401);
      expect(await anonymous.content()).not.toContain('table class="grid"');
      const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` } });
      const allowed = await context.newPage();
      expect((await allowed.goto(`${planner.url}ui/?from=${D1}&to=${D4}`))?.status()).toBe(200);
      expect(await allowed.locator('table.grid tbody tr').count()).toBe(6);
      expect((await allowed.goto(`${planner.url}ui/graph?date=${D3}`))?.status()).toBe(200);
      await context.close();
      // With the management API off (no token, no iam), the console is off too.
      expect((await anonymous.goto(`${off.url}ui/`))?.status()).toBe(503);
    } finally {
      await stop(planner);
      await stop(off);
    }
  });
});
