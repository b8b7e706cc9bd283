import express, { type Request, type Response, type Router } from 'express';
import { UserError } from '../errors.ts';
import { parseRunRequest, type RunRequest } from '../events/run-request.ts';
import type { Manifest } from '../manifest/manifest.ts';
import { shownStatus } from '../plan/decide.ts';
import type { StateStore } from '../ports/state-store.ts';
import { gridReport, runRow, runsReport } from '../reports/history.ts';
import { runDateProblem } from '../util/relative-date.ts';
import { nearestName } from '../util/nearest.ts';
import { addDays, daysBetween } from '../model/dates.ts';
import { analyzePage, confirmPage, type AnalyzeForm, type AnalyzedRow } from './analyze-page.ts';
import { computationPage, type RenderedSql } from './computation-page.ts';
import { graphPage } from './graph-page.ts';
import { gridPage } from './grid-page.ts';
import { esc, page, Paths } from './html.ts';
import { runPage, runSection, runsPage } from './run-pages.ts';

/** What the console asks of its host: the embedded CLI (`compute ui`) and the planner service answer differently. */
export interface ConsoleActions {
  analyze(request: RunRequest): Promise<{ computations: AnalyzedRow[]; totalBytes: number | null }>;
  /** Starts a run and returns its id once it is recorded or on its way. */
  run(request: RunRequest): Promise<{ runId: string }>;
  /** The SQL of a computation on a date, with estimates where the warehouse gives them. */
  render(name: string, date: string): Promise<RenderedSql>;
}

export interface ConsoleDeps {
  manifest: Manifest;
  state: StateStore;
  actions: ConsoleActions;
  /** Where the router is mounted. (Default: '/ui') */
  base?: string;
  /** (Default: the system clock) */
  now?: () => Date;
}

/** Dates the grid shows when none are asked for, and at most in one page. */
const DEFAULT_DATES = 30;
const MAX_DATES = 92;
const MAX_ROWS = 1000;

class BadRequest extends Error {}

function dateParam(request: Request, name: string): string | undefined {
  const value = request.query[name] ?? (request.body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || runDateProblem(value) !== null)
    throw new BadRequest(`'${name}' must be a date as YYYY-MM-DD; got ${JSON.stringify(value)}`);
  return value;
}

function intParam(request: Request, name: string, fallback: number, max: number): number {
  const value = request.query[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1 || n > max)
    throw new BadRequest(`'${name}' must be a whole number from 1 to ${max}; got ${JSON.stringify(value)}`);
  return n;
}

function textParam(source: Record<string, unknown> | undefined, name: string): string {
  const value = source?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * The web console as an express router: server-rendered pages over the
 * state store, so every page has a URL and works without script; the
 * script only adds keyboard moves, graph highlighting and live refresh.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const { manifest, state, actions } = deps;
  const paths = new Paths(deps.base ?? '/ui');
  const now = deps.now ?? (() => new Date());
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  /** The most recent date with stored states: the last date of the latest runs, else of any state, else today. */
  async function latestDate(): Promise<string> {
    const runs = await state.runs.list(20);
    const dates = runs.flatMap((r) => r.dates).sort();
    if (dates.length > 0) return dates.at(-1)!;
    const all = await state.states.list();
    return all.at(-1)?.date ?? now().toISOString().slice(0, 10);
  }

  const send = (response: Response, html: string, status = 200) =>
    response.status(status).type('html').set('Cache-Control', 'no-store').send(html);

  const handle =
    (work: (request: Request, response: Response) => Promise<void>) => async (request: Request, response: Response) => {
      try {
        await work(request, response);
      } catch (error) {
        const bad = error instanceof BadRequest || error instanceof UserError;
        const text = error instanceof Error ? error.message : String(error);
        send(
          response,
          page(paths, bad ? 'Bad request' : 'Error', `<p role="alert">${esc(text)}</p>`, ''),
          bad ? 400 : 500,
        );
      }
    };

  router.get(
    '/',
    handle(async (request, response) => {
      let to = dateParam(request, 'to');
      let from = dateParam(request, 'from');
      if (to === undefined) to = from === undefined ? await latestDate() : addDays(from, DEFAULT_DATES - 1);
      if (from === undefined) from = addDays(to, -(DEFAULT_DATES - 1));
      if (to < from) throw new BadRequest(`'to' (${to}) is before 'from' (${from})`);
      const asked = to;
      if (daysBetween(from, to) + 1 > MAX_DATES) to = addDays(from, MAX_DATES - 1);
      const note =
        asked === to
          ? null
          : `Showing ${MAX_DATES} dates at a time: ${from} to ${to} of the ${from} to ${asked} asked for; the later-dates link goes on.`;
      const rows = intParam(request, 'rows', 50, MAX_ROWS);
      const query = textParam(request.query, 'q');
      const status = textParam(request.query, 'status');
      const named = manifest.computations
        .map((e) => e.name)
        .filter((name) => query === '' || name.toLowerCase().includes(query.toLowerCase()));
      // Without a status filter only the page's computations are read; with one, the range decides the rows.
      const all = status === '' ? null : await gridReport(manifest, state, from, to, query === '' ? undefined : named);
      const withStatus = new Set(all?.computations.filter((c) => c.status === status).map((c) => c.name));
      const matching = all === null ? named : named.filter((name) => withStatus.has(name));
      const pages = Math.max(1, Math.ceil(matching.length / rows));
      const current = Math.min(intParam(request, 'page', 1, 1_000_000), pages);
      const names = matching.slice((current - 1) * rows, current * rows);
      const shown = new Set(names);
      const grid =
        all === null
          ? await gridReport(manifest, state, from, to, names)
          : { ...all, computations: all.computations.filter((c) => shown.has(c.name)) };
      send(
        response,
        gridPage(paths, { grid, names, query, status, page: current, pages, rows, matching: matching.length, note }),
      );
    }),
  );

  router.get(
    '/graph',
    handle(async (request, response) => {
      const date = dateParam(request, 'date') ?? null;
      const statuses = new Map<string, string>();
      if (date !== null) for (const s of await state.states.list(date)) statuses.set(s.computation, shownStatus(s));
      const edges = manifest.computations.flatMap((e) =>
        e.config.dependencies.map((d) => [d, e.name] as [string, string]),
      );
      send(response, graphPage(paths, { passes: manifest.passes, edges }, date, statuses));
    }),
  );

  router.get(
    '/runs',
    handle(async (_request, response) => {
      send(response, runsPage(paths, (await runsReport(state, 100)).runs));
    }),
  );

  router.get(
    '/runs/:runId',
    handle(async (request, response) => {
      const runId = String(request.params.runId);
      const record = await state.runs.get(runId);
      if (record === null) {
        send(
          response,
          page(paths, 'No such run', `<p>No run ${esc(runId)} is recorded (it may have expired).</p>`, 'runs'),
          404,
        );
        return;
      }
      const [run, entries] = await Promise.all([runRow(state, record), state.history.ofRun(runId)]);
      if (request.query.fragment === '1') send(response, runSection(paths, run, entries, now()));
      else send(response, runPage(paths, run, entries, now()));
    }),
  );

  router.get(
    '/computations/:name/:date',
    handle(async (request, response) => {
      const name = String(request.params.name);
      const entry = manifest.byName.get(name);
      if (entry === undefined) {
        const near = nearestName(name, [...manifest.byName.keys()]);
        send(
          response,
          page(
            paths,
            'No such computation',
            `<p>This project has no computation '${esc(name)}'.${near === undefined ? '' : ` Did you mean <a href="${esc(paths.computation(near, String(request.params.date)))}">${esc(near)}</a>?`}</p>`,
            '',
          ),
          404,
        );
        return;
      }
      const date = String(request.params.date);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || runDateProblem(date) !== null)
        throw new BadRequest(`The date in the address must be YYYY-MM-DD; got '${date}'`);
      const [stored, history, sql] = await Promise.all([
        state.states.get(date, name),
        state.history.of(name, date, 20),
        actions.render(name, date).catch((error: unknown): RenderedSql => ({
          unavailable: `The SQL cannot be shown now: ${error instanceof Error ? error.message : String(error)}`,
        })),
      ]);
      send(
        response,
        computationPage(paths, {
          name,
          date,
          dependencies: entry.config.dependencies,
          dependents: entry.dependents,
          state: stored,
          history,
          sql,
        }),
      );
    }),
  );

  function analyzeForm(source: Record<string, unknown> | undefined): AnalyzeForm {
    return {
      from: textParam(source, 'from'),
      to: textParam(source, 'to'),
      computations: textParam(source, 'computation'),
      force: textParam(source, 'force') === 'on',
    };
  }

  function runRequest(fields: AnalyzeForm): RunRequest {
    const parsed = parseRunRequest(
      {
        date: fields.from === '' ? undefined : fields.from,
        ...(fields.to === '' ? {} : { to: fields.to }),
        ...(fields.computations === '' ? {} : { computations: [fields.computations] }),
        force: fields.force,
      },
      {
        now: now(),
        maxRunDays: manifest.project.maxRunDays,
        field: (n) => `'${n === 'date' ? 'from' : n}'`,
        known: manifest.computations.map((e) => e.name),
      },
    );
    if (!parsed.ok) throw new BadRequest(parsed.problems.join('; '));
    return parsed.request;
  }

  router.get(
    '/analyze',
    handle(async (request, response) => {
      const fields = analyzeForm(request.query);
      if (fields.from === '') {
        send(response, analyzePage(paths, { ...fields, from: await latestDate() }, null, null, null));
        return;
      }
      let outcome: Awaited<ReturnType<ConsoleActions['analyze']>>;
      try {
        outcome = await actions.analyze(runRequest(fields));
      } catch (error) {
        if (!(error instanceof BadRequest || error instanceof UserError)) throw error;
        send(response, analyzePage(paths, fields, null, null, error.message), 400);
        return;
      }
      send(response, analyzePage(paths, fields, outcome.computations, outcome.totalBytes, null));
    }),
  );

  router.post(
    '/run',
    form,
    handle(async (request, response) => {
      // A form posted from another site (a page the user happens to visit) must not start runs.
      const site = request.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        send(response, page(paths, 'Refused', '<p role="alert">Runs start only from the console itself.</p>', ''), 403);
        return;
      }
      const fields = analyzeForm(request.body as Record<string, unknown>);
      const run = runRequest(fields);
      if (textParam(request.body as Record<string, unknown>, 'confirm') !== 'yes') {
        send(response, confirmPage(paths, fields));
        return;
      }
      const { runId } = await actions.run(run);
      response.redirect(303, paths.run(runId));
    }),
  );

  router.use((request: Request, response: Response) => {
    send(response, page(paths, 'Not found', `<p>No console page at ${esc(request.originalUrl)}.</p>`, ''), 404);
  });
  return router;
}
