import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { runIdFor } from '../../shared/events/run-id.ts';
import { PubSub } from '@google-cloud/pubsub';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { cli } from './cli.ts';
import { freePort, uniqueName, type Emulator } from './emulators.ts';
import { sql } from './embedded.ts';
import { emulatorFirestore } from './firestore.ts';
import { roundRobinProxy } from './round-robin-proxy.ts';
import { scenarioProject, type BODIES } from './scenario.ts';
import { PACKAGE_ROOT, type TempProject } from './temp-project.ts';

export const PROJECT_ID = 'demo-compute';

export interface Service {
  roles: string;
  root: string;
  port: number;
  child: ChildProcess;
  url: string;
  stdout: string[];
  /** Everything the process wrote on stderr (its start-up line, warnings if any). */
  stderr: string[];
}

/** One `compute serve` process on a loopback port, ready once it says it listens. */
export async function serve(root: string, roles: string, env: Record<string, string>, port?: number): Promise<Service> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      join(PACKAGE_ROOT, 'bin/compute.js'),
      'serve',
      roles,
      '--host',
      '127.0.0.1',
      '--port',
      String(chosen),
      '--project',
      root,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const service: Service = {
    roles,
    root,
    port: chosen,
    child,
    url: `http://127.0.0.1:${chosen}/`,
    stdout: [],
    stderr: [],
  };
  child.stdout.on('data', (chunk: Buffer) =>
    service.stdout.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((l) => l !== ''),
    ),
  );
  child.stderr.on('data', (chunk: Buffer) =>
    service.stderr.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((l) => l !== ''),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`compute serve ${roles} exited with ${code}: ${err}`)));
  });
  return service;
}

/** `compute bootstrap`'s arguments: planner and executor at one URL (one `serve planner,executor`), workers at another. */
export function bootstrapArgs(root: string, urls: { executor: string; worker: string }): string[] {
  return [
    'bootstrap',
    '--planner-url',
    urls.executor,
    '--executor-url',
    urls.executor,
    '--worker-url',
    urls.worker,
    '--project',
    root,
  ];
}

/** Creates the project's topics and push subscriptions on the emulator (in process), or throws with bootstrap's stderr. */
export async function bootstrap(
  root: string,
  urls: { executor: string; worker: string },
  env: Record<string, string>,
): Promise<void> {
  const result = await cli(bootstrapArgs(root, urls), { env: { ...process.env, ...env } });
  if (result.code !== 0) throw new Error(`bootstrap failed: ${result.stderr}`);
}

export async function stop(service: Service, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.child.exitCode;
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
  service.child.kill(signal);
  return exited;
}

export interface Topology {
  project: TempProject;
  prefix: string;
  env: Record<string, string>;
  executor: Service;
  workers: Service[];
  balancer: Awaited<ReturnType<typeof roundRobinProxy>>;
  /** The front end of the planner+executor service, so it can restart behind a stable URL. */
  front: Awaited<ReturnType<typeof roundRobinProxy>>;
  store: FirestoreStateStore;
  /** Kills the planner+executor process and starts a new one on the same port. */
  restartExecutor(signal?: NodeJS.Signals): Promise<void>;
  /** Stops worker `index` and starts a new one on the same port (with the project's code as it is now). */
  restartWorker(index: number, signal?: NodeJS.Signals): Promise<void>;
  close(): Promise<void>;
}

export interface TopologyOptions {
  entities?: number;
  dates?: string[];
  bodies?: Partial<typeof BODIES>;
  execution?: Record<string, unknown>;
  /** Extra worker projects (e.g. with other code) joining the balancer. */
  skewedBodies?: Partial<typeof BODIES>;
  configs?: NonNullable<Parameters<typeof scenarioProject>[0]>['configs'];
  /** Environment of the worker processes only (e.g. COMPUTE_WORKER_MEMORY_MB). */
  workerEnv?: Record<string, string>;
  /** Pushes to the workers that the front end answers 204 and drops (see roundRobinProxy). */
  dropWorkerPush?: (body: string) => boolean;
}

/**
 * The distributed topology on the emulators: planner and executor in one
 * process, two worker processes behind one endpoint (as Cloud Run spreads
 * one push subscription), topics and push subscriptions from `compute bootstrap`.
 */
export async function startTopology(
  pubsub: Emulator,
  firestore: Emulator,
  options: TopologyOptions = {},
): Promise<Topology> {
  const prefix = uniqueName('topo');
  const config = {
    batchSize: 10,
    state: { type: 'firestore', projectId: PROJECT_ID, collectionPrefix: prefix },
    bus: { type: 'pubsub', projectId: PROJECT_ID, topicPrefix: prefix },
    execution: options.execution ?? {},
  };
  const project = await scenarioProject({
    entities: options.entities,
    dates: options.dates,
    bodies: options.bodies,
    configs: options.configs,
    config,
  });
  const env = { PUBSUB_EMULATOR_HOST: pubsub.host, FIRESTORE_EMULATOR_HOST: firestore.host };
  const workerEnv = { ...env, ...options.workerEnv };
  const [executor, ...workers] = await Promise.all([
    serve(project.root, 'planner,executor', env),
    serve(project.root, 'worker', workerEnv),
    serve(project.root, 'worker', workerEnv),
  ]);
  if (options.skewedBodies !== undefined) {
    // Same state, bus and blob folder; other code.
    const skewed = await scenarioProject({
      entities: 1,
      bodies: options.skewedBodies,
      config: { ...config, blobs: { type: 'local', path: join(project.root, '.compute/blobs') } },
    });
    workers.push(await serve(skewed.root, 'worker', env));
  }
  const balancer = await roundRobinProxy(
    workers.map((w) => w.url),
    options.dropWorkerPush === undefined ? {} : { drop: options.dropWorkerPush },
  );
  const front = await roundRobinProxy([executor.url]);
  await bootstrap(project.root, { executor: front.url, worker: balancer.url }, env);
  const store = new FirestoreStateStore(emulatorFirestore(firestore.host, PROJECT_ID), { collectionPrefix: prefix });
  const topology: Topology = {
    project,
    prefix,
    env,
    executor: executor,
    workers,
    balancer,
    front,
    store,
    restartExecutor: async (signal = 'SIGKILL') => {
      await stop(topology.executor, signal);
      topology.executor = await serve(project.root, 'planner,executor', env, topology.executor.port);
    },
    restartWorker: async (index, signal = 'SIGTERM') => {
      const old = topology.workers[index]!;
      await stop(old, signal);
      topology.workers[index] = await serve(old.root, 'worker', workerEnv, old.port);
    },
    close: async () => {
      await Promise.all([topology.executor, ...topology.workers].map((s) => stop(s)));
      await balancer.close();
      await front.close();
      await store.close();
      await project.remove();
    },
  };
  return topology;
}

/** Publishes a manual run message and waits for the run to finish; returns its id and status. */
export async function runManually(
  topology: Topology,
  dates: string[],
  timeoutMs = 120_000,
): Promise<{ runId: string; status: string }> {
  return runMessage(topology, { date: dates[0], to: dates[dates.length - 1] }, timeoutMs);
}

/** Publishes a run message (manual or, with `schedule`, as Cloud Scheduler does) and waits for the run to finish. */
export async function runMessage(
  topology: Topology,
  message: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<{ runId: string; status: string }> {
  const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
  const messageId = await client.topic(`${topology.prefix}-runs`).publishMessage({ json: message });
  await client.close();
  // A scheduled run's id comes from its schedule and date (tests give absolute dates), others' from the message id.
  const runId = runIdFor(
    {
      runId: null,
      schedule: typeof message.schedule === 'string' ? message.schedule : null,
      dates: [String(message.date)],
    },
    { via: 'message', messageId },
  );
  const deadline = Date.now() + timeoutMs;
  let status = 'missing';
  while (Date.now() < deadline) {
    // The topology may be closed under a test that failed before it awaited this: stop quietly.
    const run = await topology.store.runs.get(runId).catch(() => undefined);
    if (run === undefined) return { runId, status: 'closed' };
    status = run?.status ?? 'missing';
    if (status !== 'running' && status !== 'missing') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (status === 'running' || status === 'missing') {
    // Say what was left hanging, so a failure can be understood from the test output.
    const states = (await topology.store.states.list()).map((st) => `${st.date}/${st.computation}=${st.status}`);
    const steps = await topology.store.runs.steps(runId, '');
    const tail = topology.executor.stdout.slice(-15).map((line) => line.slice(0, 300));
    process.stderr.write(
      `Run ${runId} did not finish.\nstates: ${states.join(' ')}\nsteps: ${steps.join(' ')}\nexecutor log tail:\n${tail.join('\n')}\n`,
    );
  }
  return { runId, status };
}

/**
 * DESIGN.md section 6's invariant after a fault: every computation of every
 * date completed, succeeded + failed = planned entities, and no
 * (computation, date, entity) result stored twice. Returns result hashes by `date/name`.
 */
export async function checkInvariants(topology: Topology, dates: string[]): Promise<Record<string, string | null>> {
  const problems: string[] = [];
  const hashes: Record<string, string | null> = {};
  const states = await topology.store.states.list();
  for (const date of dates) {
    for (const name of ['Totals', 'Doubled', 'Summary', 'Streak']) {
      const state = states.find((s) => s.date === date && s.computation === name);
      if (state === undefined || state.status !== 'completed')
        problems.push(`${date}/${name} is ${state?.status ?? 'missing'}`);
      else if (state.counts === null || state.counts.succeeded + state.counts.failed !== state.counts.planned)
        problems.push(`${date}/${name} counts ${JSON.stringify(state.counts)}`);
      hashes[`${date}/${name}`] = state?.resultHash ?? null;
    }
  }
  // DuckDB allows one process at a time: read the results once the executor is stopped.
  await stop(topology.executor);
  for (const table of ['Totals', 'Doubled', 'Summary', 'Streak']) {
    const duplicates = await sql(topology.project.root, [
      `SELECT date::VARCHAR AS date, entity_id FROM compute_results."${table}" GROUP BY ALL HAVING count(*) > 1`,
    ]);
    if (duplicates.length > 0)
      problems.push(`${table} has results stored twice: ${JSON.stringify(duplicates.slice(0, 3))}`);
  }
  if (problems.length > 0) throw new Error(`Invariant broken:\n  ${problems.join('\n  ')}`);
  return hashes;
}

/** Publishes the watchdog's message, {"action": "sweep"}, to the runs topic every `ms`, as Cloud Scheduler would. */
export function startSweeping(topology: Topology, ms = 1000): { stop(): Promise<void> } {
  const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
  const topic = client.topic(`${topology.prefix}-runs`);
  const timer = setInterval(() => {
    topic.publishMessage({ json: { action: 'sweep' } }).catch(() => undefined);
  }, ms);
  return {
    stop: async () => {
      clearInterval(timer);
      await client.close();
    },
  };
}
