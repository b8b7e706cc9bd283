import type { Server } from 'node:http';
import { createExecutor } from '../../executor/executor.ts';
import { createPlanner } from '../../planner/planner.ts';
import { UsageError, UserError } from '../../shared/errors.ts';
import type { Request, Response } from 'express';
import { managementHandler } from '../../shared/http/management.ts';
import { createServiceApp, type EventHandlers } from '../../shared/http/service-app.ts';
import { handlersOf } from '../../shared/events/routes.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { managementActions } from '../management-actions.ts';
import { plannerConsole } from '../console-actions.ts';
import { createLogger } from '../../shared/logging/logger.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { requestLimitProblems, workerCapacityWarning } from '../../shared/http/request-limits.ts';
import { timeoutsFor, type ServicePorts } from '../../shared/runtime/service-ports.ts';
import { openPorts, positiveEnv, resolveSettings, type PortsByRole } from '../open-ports.ts';
import { availableParallelism } from 'node:os';
import { WorkerThreadPool } from '../thread-pool.ts';
import { ActiveLeases } from '../../shared/state/active-leases.ts';
import { stringFlag } from '../args.ts';
import { loadProject, type Command } from '../command.ts';
import { resolveServiceAuth } from '../service-auth.ts';

const ROLES = ['planner', 'executor', 'worker'] as const;
type Role = (typeof ROLES)[number];

/** 'all', one role, or several comma-separated: 'planner,executor'. */
export function parseRoles(value: string | undefined): Role[] {
  if (value === undefined)
    throw new UsageError(
      `Name the service to serve: ${ROLES.join(', ')} or all (e.g. compute serve worker --port 8080), or set COMPUTE_SERVICE`,
    );
  if (value === 'all') return [...ROLES];
  const roles = value.split(',').map((r) => r.trim());
  for (const role of roles) {
    if (!ROLES.includes(role as Role))
      throw new UsageError(`Unknown service '${role}': serve one of ${ROLES.join(', ')} or all`);
  }
  return roles as Role[];
}

/** What the management API and the console answer while authentication leaves them off. */
async function managementOff(_request: Request, response: Response): Promise<void> {
  response.status(503).json({
    error:
      'The management API is off: set COMPUTE_API_TOKEN (callers send it as a bearer token), or COMPUTE_API_AUTH=iam where Cloud Run IAM checks callers.',
  });
}

/** COMPUTE_WORKER_MEMORY_MB: each batch thread's heap limit, so an entity that allocates without end fails alone. */
function memoryLimit(env: Readonly<Record<string, string | undefined>>): { memoryMb?: number } {
  const memoryMb = positiveEnv(env, 'COMPUTE_WORKER_MEMORY_MB');
  return memoryMb === undefined ? {} : { memoryMb };
}

/** The planner's management API, or, while authentication leaves it off, a 503 that says how to turn it on. */
function management(on: boolean, deps: Parameters<typeof managementActions>[0], log: Logger) {
  if (!on) return managementOff;
  return managementHandler({ actions: managementActions(deps), log, maxRunDays: deps.manifest.project.maxRunDays });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run planner, executor, worker (or all) as an HTTP service receiving Pub/Sub push and Eventarc events',
  flags: {
    port: { type: 'string', description: 'port to listen on (default: $PORT, else 8080)' },
    host: {
      type: 'string',
      description:
        'address to listen on (default: $COMPUTE_HOST, else 127.0.0.1 in open mode and 0.0.0.0, as Cloud Run needs, in iam and token mode)',
    },
  },
  async run(input) {
    // The one image of a project serves any role: Cloud Run tells each service which in COMPUTE_SERVICE.
    const roles = parseRoles(input.positionals[0] ?? (input.io.env.COMPUTE_SERVICE?.trim() || undefined));
    const portText = stringFlag(input.flags, 'port') ?? input.io.env.PORT ?? '8080';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number; got '${portText}'`);
    const givenHost = stringFlag(input.flags, 'host') ?? (input.io.env.COMPUTE_HOST?.trim() || undefined);
    const project = await loadProject(input);
    if (project.bus.type !== 'pubsub') {
      throw new UserError(
        'CONFIG_INVALID',
        `compute serve needs the Pub/Sub bus: set "bus": {"type": "pubsub", "projectId": "..."} in compute.config.json (it is ${project.bus.type}). For a local run without Pub/Sub use compute run.`,
      );
    }
    // Before anything opens: a wrong COMPUTE_API_AUTH stops the service at once.
    const { auth, managementOn, warnings, defaultHost } = resolveServiceAuth(input.io.env, project.bus.projectId);
    const host = givenHost ?? defaultHost;
    const manifest = await requireManifest(project);
    // Limits of the work one request holds, checked against the service's request timeout before anything opens.
    const settings = resolveSettings(project, 'service', input.io.env);
    const problems = requestLimitProblems(settings, manifest, roles);
    if (problems.length > 0)
      throw new UserError(
        'CONFIG_INVALID',
        `The limits do not fit this service's request timeout:\n  - ${problems.join('\n  - ')}`,
      );
    const capacity = roles.includes('executor')
      ? workerCapacityWarning(settings, {
          workerSlots: positiveEnv(input.io.env, 'COMPUTE_WORKER_SLOTS'),
          executorInstances: positiveEnv(input.io.env, 'COMPUTE_EXECUTOR_INSTANCES'),
        })
      : null;
    const name = roles.join('+');
    const log = createLogger({
      destination: { write: (line: string) => input.io.stdout(line) },
      service: `compute-${name}`,
    });
    // Only the executor reads the warehouse: planner and worker processes never open it.
    const ports = await openPorts(manifest, 'service', { env: input.io.env, log, settings, services: roles });
    const { state, bus } = ports;
    const executorReader = ports.reader === undefined ? null : ports.reader;
    // The management API of a planner without an executor opens a reader when first asked.
    const late: { reader?: Promise<PortsByRole['reader']> } = {};
    const base = { manifest, state, blobs: ports.blobs, bus, clock: ports.clock, log, settings };
    const handlers: EventHandlers = {};
    const activeLeases = new ActiveLeases();
    const executorScopes = ports.versionScopes;
    if (roles.includes('planner')) {
      // A planner beside an executor reads the warehouse too: it scans a scheduled run's repair window up front.
      const planner = createPlanner(
        executorReader === null ? base : { ...base, reader: executorReader, versionScopes: executorScopes },
      );
      Object.assign(handlers, handlersOf({ planner }));
    }
    if (executorReader !== null && ports.results !== undefined && roles.includes('executor')) {
      const executor = createExecutor({
        ...base,
        activeLeases,
        results: ports.results,
        reader: executorReader,
        versionScopes: executorScopes,
        shards: ports.shards,
      } satisfies ServicePorts);
      Object.assign(handlers, handlersOf({ executor }));
    }
    // Batches run in worker threads: user code that loops or crashes takes down a thread, not the service.
    const pool = roles.includes('worker')
      ? new WorkerThreadPool({
          size: positiveEnv(input.io.env, 'COMPUTE_WORKER_THREADS') ?? Math.max(2, availableParallelism()),
          manifest,
          state,
          bus,
          logLine: (line) => input.io.stdout(line),
          log,
          entityTimeout: (event) =>
            timeoutsFor(settings, manifest.byName.get(event.computation)?.config ?? {}).entityMs,
          batchTimeoutMs: settings.batchTimeoutMs,
          ...memoryLimit(input.io.env),
        })
      : null;
    if (pool !== null) {
      pool.warm();
      Object.assign(handlers, handlersOf({ worker: { onBatchReady: (event) => pool.handle(event) } }));
    }
    const traceProject = project.bus.projectId;
    for (const warning of warnings) {
      input.io.stderr(`warning: ${warning}\n`);
      log.warn({ authMode: auth.mode }, warning);
    }
    if (capacity !== null) {
      input.io.stderr(`warning: ${capacity}\n`);
      log.warn({ roles }, capacity);
    }
    const managementDeps = {
      manifest,
      state,
      bus,
      reader: async () =>
        executorReader ??
        (await (late.reader ??= openPorts(project, 'reader', { env: input.io.env, create: false }))).reader,
    };
    const service = createServiceApp({
      name,
      handlers,
      log,
      auth,
      runMessages: { maxRunDays: project.maxRunDays },
      ...(traceProject === undefined ? {} : { traceProject }),
      ...(roles.includes('planner')
        ? {
            management: management(managementOn, managementDeps, log),
            // The console at /ui, behind the same guard as /api (and off whenever /api is).
            console: managementOn ? plannerConsole(managementDeps) : managementOff,
          }
        : {}),
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = service.app.listen(port, host, () => resolve(listening));
      listening.once('error', reject);
    });
    const address = server.address();
    const actual = typeof address === 'object' && address !== null ? address.port : port;
    input.io.stderr(`compute ${name} listening on http://${host}:${actual}\n`);
    log.info({ port: actual, roles }, `compute ${name} listening`);
    // Cloud Run sends SIGTERM and gives ten seconds: stop taking requests, let those in flight
    // finish within the grace, and answer the rest with 503 so Pub/Sub redelivers them.
    const grace = base.settings.shutdownGraceMs;
    await new Promise<void>((resolve) => {
      const stop = () => {
        log.info({ inFlight: service.inFlight(), graceMs: grace }, 'SIGTERM: draining');
        server.close();
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<void>((done) => (timer = setTimeout(done, grace)));
        void Promise.race([service.drained(), expired]).then(() => {
          clearTimeout(timer);
          const handedBack = service.handBack();
          if (handedBack > 0)
            log.warn(
              { handedBack },
              `${handedBack} request(s) still running after the grace: answered 503 for redelivery`,
            );
          server.closeAllConnections();
          // The work handed back is redelivered elsewhere: let go of its leases now, not after they go stale.
          void activeLeases.releaseAll(state.leases).then((released) => {
            if (released > 0) log.warn({ released }, `Released ${released} lease(s) of work handed back`);
            resolve();
          });
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    // A handler still running (hung user code) must not keep the process past the grace.
    setTimeout(() => process.exit(0), 1000).unref();
    const closing = Promise.allSettled([pool?.close(), late.reader?.then((r) => r.close()), ports.close()]);
    await Promise.race([closing, new Promise((done) => setTimeout(done, 1000).unref())]);
    return 0;
  },
};
