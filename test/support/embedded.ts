import { join } from 'node:path';
import { openDuckdb } from '../../shared/adapters/duckdb/duckdb-warehouse.ts';
import { InProcessBus, type InProcessBusOptions } from '../../shared/adapters/inprocess/inprocess-bus.ts';
import { openBlobStore } from '../../cli/blob-wiring.ts';
import { settleRun } from '../../cli/run-loop.ts';
import { openRuntime } from '../../cli/runtime.ts';
import { openStateStore } from '../../cli/wiring.ts';
import type { FaultInjector } from './faults.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../shared/project/project-config.ts';
import type { RuntimeSettings } from '../../shared/runtime/service-ports.ts';
import type { ComputationState } from '../../shared/ports/state-store.ts';
import type { StoredResult } from '../../shared/ports/warehouse.ts';
import { executionSummary, type ExecutionSummary } from '../../shared/reports/summary.ts';
import type { ComputeEvent } from '../../shared/events/contracts.ts';

export interface RunOutcome {
  runId: string;
  summary: ExecutionSummary;
  /** Every event published during the run. */
  events: ComputeEvent[];
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>;
  deadLetters: InProcessBus['deadLetters'];
  /** Final state per `date/name`. */
  states: Map<string, ComputationState>;
}

let counter = 0;

/** Runs a project in this process over the in-process bus, as `compute run` does, and collects what happened. */
export async function runProject(
  root: string,
  options: {
    dates: string[];
    computations?: string[] | null;
    force?: boolean;
    bus?: InProcessBusOptions;
    settings?: Partial<RuntimeSettings>;
    env?: Record<string, string>;
    threads?: boolean;
    /** Wraps the real blob store, state store and bus so chosen calls fail or stall. */
    faults?: FaultInjector;
  },
): Promise<RunOutcome> {
  const project = await loadProjectConfig(root, options.env ?? {});
  const manifest = await requireManifest(project);
  const faults = options.faults;
  const ownState = faults === undefined ? undefined : await openStateStore(project);
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    level: 'debug',
  });
  const bus = new InProcessBus({ log, ...options.bus });
  const runtime = await openRuntime(manifest, {
    log,
    bus: faults === undefined ? bus : faults.wrap('bus', bus),
    ...(faults === undefined
      ? {}
      : { state: faults.wrap('state', ownState!), blobs: faults.wrap('blobs', openBlobStore(manifest)) }),
    settings: options.settings,
    useThreads: options.threads === true,
    env: options.env ?? {},
    logLine: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  const runId = `run-test-${process.pid}-${++counter}`;
  try {
    await bus.publish({
      v: 1,
      type: 'run.requested',
      runId,
      dates: options.dates,
      computations: options.computations ?? null,
      force: options.force ?? false,
      trigger: 'test',
    });
    const run = await settleRun(runtime, bus, runId);
    if (run === null || run.status === 'running')
      throw Object.assign(new Error(`run did not complete: ${JSON.stringify(bus.deadLetters)}`), { logs });
    const summary = await executionSummary(manifest, runtime.ports.state, run, new Date());
    const states = new Map<string, ComputationState>();
    for (const date of options.dates)
      for (const s of await runtime.ports.state.states.list(date)) states.set(`${s.date}/${s.computation}`, s);
    return { runId, summary, events: bus.published, logs, deadLetters: bus.deadLetters, states };
  } finally {
    await runtime.close();
    await ownState?.close();
  }
}

/** Statuses by `date/name` of a run's summary. */
export function statuses(outcome: RunOutcome): Record<string, string> {
  return Object.fromEntries(outcome.summary.computations.map((c) => [`${c.date}/${c.name}`, c.status]));
}

/** Stored results of a computation for a date, read straight from the DuckDB file. */
export async function storedResults(
  root: string,
  computation: string,
  date: string,
  file = 'warehouse.duckdb',
): Promise<StoredResult[]> {
  const { DuckdbResultStore } = await import('../../shared/adapters/duckdb/duckdb-results.ts');
  const instance = await openDuckdb(join(root, file));
  try {
    return await new DuckdbResultStore(instance).read(computation, date);
  } finally {
    instance.closeSync();
  }
}

/** Runs SQL against a project's DuckDB file (to seed tables or check results). */
export async function sql(
  root: string,
  statements: string[],
  file = 'warehouse.duckdb',
): Promise<Array<Record<string, unknown>>> {
  const instance = await openDuckdb(join(root, file));
  const connection = await instance.connect();
  try {
    let rows: Array<Record<string, unknown>> = [];
    for (const statement of statements) rows = (await connection.runAndReadAll(statement)).getRowObjectsJson();
    return rows;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
