import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PubSubBus } from '../../shared/adapters/pubsub/pubsub-bus.ts';
import type { ComputeEvent } from '../../shared/events/contracts.ts';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { cli, json } from '../support/cli.ts';
import { emulatorMissing, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { runProject, sql, type RunOutcome } from '../support/embedded.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { roundRobinProxy } from '../support/round-robin-proxy.ts';
import { scenarioProject } from '../support/scenario.ts';
import { bootstrapArgs, PROJECT_ID, serve, stop, type Service } from '../support/topology.ts';
import { PACKAGE_ROOT, type TempProject } from '../support/temp-project.ts';

const exec = promisify(execFile);

const DATES = ['2026-01-25', '2026-01-26', '2026-01-27'];
const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');

describe.skipIf(missing !== null)('distributed run on the Pub/Sub and Firestore emulators', () => {
  let pubsub: Emulator;
  let firestore: Emulator;
  let project: TempProject;
  let services: Service[] = [];
  let embedded: RunOutcome;
  let prefix: string;
  let store: FirestoreStateStore;
  let balancer: Awaited<ReturnType<typeof roundRobinProxy>>;

  beforeAll(async () => {
    [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    prefix = uniqueName('e2e');
    const reference = await scenarioProject();
    embedded = await runProject(reference.root, { dates: DATES });
    await reference.remove();
    project = await scenarioProject({
      config: {
        batchSize: 10,
        state: { type: 'firestore', projectId: PROJECT_ID, collectionPrefix: prefix },
        bus: { type: 'pubsub', projectId: PROJECT_ID, topicPrefix: prefix },
      },
    });
    const env = { PUBSUB_EMULATOR_HOST: pubsub.host, FIRESTORE_EMULATOR_HOST: firestore.host };
    services = await Promise.all([
      serve(project.root, 'planner,executor', env),
      serve(project.root, 'worker', env),
      serve(project.root, 'worker', env),
    ]);
    store = new FirestoreStateStore(emulatorFirestore(firestore.host, PROJECT_ID), { collectionPrefix: prefix });
    // Two worker processes behind one endpoint, as Cloud Run's front end spreads one push subscription.
    balancer = await roundRobinProxy([services[1]!.url, services[2]!.url]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => stop(s)));
    await balancer?.close();
    await store?.close();
    await project?.remove();
    await Promise.all([pubsub?.stop(), firestore?.stop()]);
    delete process.env.PUBSUB_EMULATOR_HOST;
  }, 60_000);

  it('creates topics and push subscriptions, idempotently', async () => {
    const planner = services[0]!;
    const worker = { url: balancer.url };
    const args = [...bootstrapArgs(project.root, { executor: planner.url, worker: worker.url }), '--json'];
    const first = json<{ subscriptions: Array<{ name: string; pushEndpoint: string | null; created: boolean }> }>(
      await cli(args, { env: process.env }),
    );
    expect(first.subscriptions.map((s) => [s.name, s.pushEndpoint])).toEqual([
      [`${prefix}-runs-to-planner`, planner.url],
      [`${prefix}-passes-to-executor`, planner.url],
      [`${prefix}-batches-to-worker`, worker.url],
      [`${prefix}-batch-completions-to-executor`, planner.url],
      [`${prefix}-computation-completions-to-planner`, planner.url],
      [`${prefix}-run-completions-pull`, null],
    ]);
    expect(first.subscriptions.every((s) => s.created)).toBe(true);
    const again = json<{ subscriptions: Array<{ created: boolean }> }>(await cli(args, { env: process.env }));
    expect(again.subscriptions.every((s) => !s.created)).toBe(true);
  });

  it('keeps the management API off until a token (or IAM) is configured, and says how', async () => {
    const response = await fetch(`${services[0]!.url}api`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'status' }),
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toContain('set COMPUTE_API_TOKEN');
  });

  it('runs three dates from a manual run message, with the result hashes of the embedded run', async () => {
    const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
    const messageId = await client.topic(`${prefix}-runs`).publishMessage({ json: { date: DATES[0], to: DATES[2] } });
    await client.close();
    const runId = `run-${messageId}`;
    // The bus's pull side: run.completed lands on the run-completions pull subscription bootstrap made.
    const observer = new PubSubBus(new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS }), {
      topicPrefix: prefix,
    });
    const announced = new Promise<ComputeEvent>((resolve) =>
      observer.subscribe('run-completions', async (event) => resolve(event)),
    );
    const deadline = Date.now() + 120_000;
    let status = 'running';
    while (Date.now() < deadline) {
      status = (await store.runs.get(runId))?.status ?? 'missing';
      if (status !== 'running' && status !== 'missing') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('completed');
    expect(await announced).toEqual({ v: 1, type: 'run.completed', runId, status: 'completed' });
    await observer.close();
    const distributed = new Map((await store.states.list()).map((s) => [`${s.date}/${s.computation}`, s]));
    for (const row of embedded.summary.computations) {
      const state = distributed.get(`${row.date}/${row.name}`)!;
      expect([row.date, row.name, state.status, state.resultHash]).toEqual([
        row.date,
        row.name,
        'completed',
        row.resultHash,
      ]);
      expect(state.counts).toEqual(row.entities);
    }
    // Both workers took batches: the work was spread over the push subscription.
    const processed = services.slice(1).map((s) => s.stdout.filter((line) => line.includes('processed')).length);
    expect(processed.every((n) => n > 0)).toBe(true);
  }, 180_000);

  it('stored every result exactly once, and drains on SIGTERM', async () => {
    expect(await Promise.all(services.map((s) => stop(s)))).toEqual([0, 0, 0]);
    for (const table of ['Totals', 'Doubled', 'Streak']) {
      const duplicates = await sql(project.root, [
        `SELECT date, entity_id FROM compute_results."${table}" GROUP BY ALL HAVING count(*) > 1`,
      ]);
      expect(duplicates).toEqual([]);
    }
    const [row] = await sql(project.root, [`SELECT count(*)::INTEGER AS n FROM compute_results."Totals"`]);
    expect(row!.n).toBe(
      embedded.summary.computations
        .filter((c) => c.name === 'Totals')
        .reduce((s, c) => s + (c.entities?.stored ?? 0), 0),
    );
  }, 60_000);

  it('bootstrap and the services, started as a user starts them, print no Node or client warnings', async () => {
    const { stderr } = await exec(
      process.execPath,
      [
        join(PACKAGE_ROOT, 'bin/compute.js'),
        ...bootstrapArgs(project.root, { executor: services[0]!.url, worker: balancer.url }),
      ],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, PUBSUB_EMULATOR_HOST: pubsub.host } },
    );
    // Node's and the client libraries' warnings (ExperimentalWarning, MetadataLookupWarning), not the tool's own
    // "warning: No authentication ..." that the open mode prints on purpose.
    const warnings = (lines: string[]) =>
      lines.filter((line) => /\w+Warning\b|\(node:\d+\)|--trace-warnings/.test(line));
    expect(warnings(stderr.split('\n'))).toEqual([]);
    // The services have used both clients by now (three dates run), and drained on SIGTERM.
    expect(services.flatMap((s) => warnings(s.stderr))).toEqual([]);
  }, 60_000);
});
