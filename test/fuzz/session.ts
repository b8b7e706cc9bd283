import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import type { ComputationState, RunRecord } from '../../shared/ports/state-store.ts';
import { startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { startTestIssuer, type TestIssuer } from '../support/oidc.ts';
import { scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';
import { PROJECT_ID, serve, stop, type Service } from '../support/topology.ts';
import { fuzzCase, type Credentials, type FuzzCase } from './cases.ts';

const AUDIENCE = 'https://fuzz-planner.a.run.app/';
const PUSHER = 'compute-push@demo-compute.iam.gserviceaccount.com';

/**
 * The services as deployed in token mode (planner+executor, worker) on the
 * Pub/Sub and Firestore emulators, with a local OIDC issuer, and the
 * checks made after every fuzz case.
 */
export interface FuzzSession {
  runCase(seed: number): Promise<{ case: FuzzCase; status: number; problems: string[] }>;
  close(): Promise<void>;
}

interface Snapshot {
  runs: Map<string, string>;
  states: Map<string, string>;
}

export async function startFuzzSession(): Promise<FuzzSession> {
  const [pubsub, firestore]: Emulator[] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
  const issuer: TestIssuer = await startTestIssuer();
  const prefix = uniqueName('fuzz');
  const project: TempProject = await scenarioProject({
    entities: 3,
    config: {
      state: { type: 'firestore', projectId: PROJECT_ID, collectionPrefix: prefix },
      bus: { type: 'pubsub', projectId: PROJECT_ID, topicPrefix: prefix },
    },
  });
  const credentials: Credentials = {
    apiToken: 'fuzz-api-token-5f0c9a7e21',
    pushToken: issuer.sign({ aud: AUDIENCE, email: PUSHER, exp: Math.floor(Date.now() / 1000) + 7200 }),
    otherToken: issuer.sign({ aud: AUDIENCE, email: 'ana@example.com', exp: Math.floor(Date.now() / 1000) + 7200 }),
  };
  const env = {
    PUBSUB_EMULATOR_HOST: pubsub!.host,
    FIRESTORE_EMULATOR_HOST: firestore!.host,
    COMPUTE_API_AUTH: 'token',
    COMPUTE_API_TOKEN: credentials.apiToken,
    COMPUTE_PUSH_AUDIENCE: AUDIENCE,
    COMPUTE_PUSH_SERVICE_ACCOUNT: PUSHER,
    COMPUTE_PUSH_CERTS_URL: issuer.certsUrl,
  };
  const services: Service[] = await Promise.all([
    serve(project.root, 'planner,executor', env),
    serve(project.root, 'worker', env),
  ]);
  const store = new FirestoreStateStore(emulatorFirestore(firestore!.host, PROJECT_ID), { collectionPrefix: prefix });

  async function snapshot(): Promise<Snapshot> {
    const [runs, states] = await Promise.all([store.runs.list(10_000), store.states.list()]);
    return {
      runs: new Map(runs.map((r: RunRecord) => [r.runId, JSON.stringify(r)])),
      states: new Map(states.map((s: ComputationState) => [`${s.date}/${s.computation}`, JSON.stringify(s)])),
    };
  }

  /** Texts no response or log line may hold: credentials and internals. */
  const secrets = [
    credentials.apiToken,
    credentials.pushToken.slice(0, 24),
    credentials.pushToken.slice(-24),
    credentials.otherToken.slice(-24),
    'not-a-jwt-secret',
    'aaaaaaaaaaaaaaaaaaaa',
    PUSHER,
    issuer.certsUrl,
  ];
  const internals = [
    project.root,
    'node_modules',
    'projects/demo-compute/databases',
    '/work/',
    /\n\s+at [^\n]+:\d+:\d+/,
  ];

  let before = await snapshot();

  async function runCase(seed: number) {
    const item = fuzzCase(seed, credentials);
    const problems: string[] = [];
    const target = services[seed % 2 === 0 || item.path.includes('api') ? 0 : 1]!;
    const linesBefore = target.stdout.length + target.stderr.length;
    let status = 0;
    let text = '';
    try {
      const response = await fetch(`http://127.0.0.1:${target.port}${item.path}`, {
        method: item.method,
        headers: item.headers,
        ...(item.body === undefined ? {} : { body: item.body }),
        signal: AbortSignal.timeout(30_000),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      // A route that reads no body (a 404) answers before a huge upload ends and closes the connection: the
      // client sees no answer, which is fine as long as the service stays healthy (checked below).
      if ((item.body?.length ?? 0) < 1_000_000) problems.push(`no answer: ${(error as Error).message}`);
    }
    if (status >= 500 && status !== 500 && status !== 503) problems.push(`answered ${status}`);
    for (const secret of secrets)
      if (text.includes(secret)) problems.push(`the response holds a credential or account`);
    for (const internal of internals)
      if (typeof internal === 'string' ? text.includes(internal) : internal.test(text))
        problems.push(`the response holds an internal detail (${String(internal)}): ${text.slice(0, 200)}`);
    if (text.length > 20_000) problems.push(`a ${text.length}-character response`);
    // Every service still answers its health check.
    for (const service of services) {
      const health = await fetch(`http://127.0.0.1:${service.port}/healthz`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.status)
        .catch(() => 0);
      if (health !== 200) problems.push(`${service.roles} /healthz answered ${health}`);
    }
    await new Promise((r) => setTimeout(r, 20));
    const lines = [...target.stdout, ...target.stderr].slice(linesBefore);
    for (const line of lines) {
      for (const secret of secrets)
        if (line.includes(secret)) problems.push('a log line holds a credential or account');
      if (line.length > 50_000) problems.push(`a ${line.length}-character log line`);
    }
    // Integrity: the same runs and states as before, except a run this case may start and its states.
    const after = await snapshot();
    const allowed = (runId: string | undefined, record?: string) =>
      runId === item.mayCreate || (record !== undefined && record.includes('"trigger":"api"'));
    for (const [runId, record] of after.runs) {
      const old = before.runs.get(runId);
      if (old !== record && !allowed(runId, old ?? record))
        problems.push(`run ${runId.slice(0, 60)} ${old === undefined ? 'appeared' : 'changed'}`);
    }
    for (const runId of before.runs.keys()) if (!after.runs.has(runId)) problems.push(`run ${runId} was lost`);
    for (const [key, record] of after.states) {
      const old = before.states.get(key);
      const runId = (JSON.parse(record) as { runId?: string }).runId;
      if (old !== record && !allowed(runId, after.runs.get(runId ?? ''))) problems.push(`state ${key} changed`);
    }
    for (const key of before.states.keys()) if (!after.states.has(key)) problems.push(`state ${key} was lost`);
    before = after;
    return { case: item, status, problems };
  }

  return {
    runCase,
    close: async () => {
      await Promise.all(services.map((s) => stop(s)));
      await store.close();
      await issuer.close();
      await project.remove();
      await Promise.all([pubsub!.stop(), firestore!.stop()]);
    },
  };
}
