import type { ConsoleActions } from '../shared/console/router.ts';
import type { RenderedSql } from '../shared/console/computation-page.ts';
import type { RunRequest } from '../shared/events/run-request.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import type { ComputationReader } from '../shared/warehouse/computation-reader.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import { consoleRouter } from '../shared/console/router.ts';
import { analyzeReport } from '../shared/reports/analyze.ts';
import { managementActions } from './management-actions.ts';

/** Runs `work` with a reader: the embedded console opens the warehouse per request, the planner keeps one. */
export type WithReader = <T>(work: (reader: ComputationReader) => Promise<T>) => Promise<T>;

/** The console's analyze and render over a project's warehouse, and runs started by `startRun`. */
export function consoleActions(deps: {
  manifest: Manifest;
  state: StateStore;
  withReader: WithReader;
  startRun: (request: RunRequest) => Promise<{ runId: string }>;
}): ConsoleActions {
  const { manifest, state, withReader } = deps;
  return {
    analyze: (request) =>
      withReader(async (reader) => {
        const report = await analyzeReport({ manifest, state, reader }, { ...request, repair: false });
        return { computations: report.computations, totalBytes: report.totalBytes };
      }),
    run: deps.startRun,
    render: (name, date) =>
      withReader(async (reader): Promise<RenderedSql> => {
        const entry = manifest.byName.get(name)!;
        const { reads, problems } = await reader.plan(entry, date);
        const estimates = problems.length === 0 && reads.length > 0 ? await reader.estimate(reads) : null;
        return {
          tables: reads.map((read) => ({
            table: read.table,
            sql: read.compiled.sql,
            params: read.compiled.params,
            bytes: estimates?.perTable[read.table]?.bytes ?? null,
          })),
          totalBytes: estimates?.totalBytes ?? null,
          problems: problems.map((p) => p.message),
        };
      }),
  };
}

/** The planner's console: runs start through the bus as the management API starts them. */
export function plannerConsole(deps: {
  manifest: Manifest;
  state: StateStore;
  bus: EventBus;
  reader: () => Promise<ComputationReader>;
}) {
  const management = managementActions(deps);
  const actions = consoleActions({
    manifest: deps.manifest,
    state: deps.state,
    withReader: async (work) => work(await deps.reader()),
    startRun: (request) => management.run(request),
  });
  return consoleRouter({ manifest: deps.manifest, state: deps.state, actions });
}
