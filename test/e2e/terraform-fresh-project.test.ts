import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTL_COLLECTIONS, TTL_FIELD } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { parseProjectConfig } from '../../shared/project/project-config.ts';
import { DEFAULT_SETTINGS, settingsFor } from '../../shared/runtime/service-ports.ts';
import { requestLimitProblems } from '../../shared/http/request-limits.ts';
import { entry, project } from '../support/entries.ts';
import { parseModule, type HclBlock } from '../support/hcl.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';
import {
  apiProblems,
  datasetIamProblems,
  enabledApis,
  metricDelayProblems,
  variableDefault,
} from '../support/terraform-checks.ts';
import { moduleGraph } from '../support/terraform-graph.ts';

/**
 * The module read as a platform engineer reads it before the first apply on
 * a fresh project (nothing can be applied here): what waits for what, what
 * it does to resources it does not own, and whether the app's limits fit
 * the timeouts it sets. Each check has a negative control below that breaks
 * the module the way the defect would and sees the check fail.
 */
const MODULE = join(PACKAGE_ROOT, 'infra/terraform');
const DEPLOY = join(PACKAGE_ROOT, 'templates/project/deploy');

const seconds = (text: string | undefined) => Number(/^"(\d+)s"$/.exec(text ?? '')?.[1] ?? NaN);
const number = (text: string | undefined) => Number(text ?? NaN);

/** The limits the app reads, against the service timeouts the module sets. */
function limitProblems(blocks: HclBlock[]): string[] {
  const problems: string[] = [];
  const timeouts = {
    planner_executor: seconds(variableDefault(blocks, 'planner_executor', 'timeout')),
    worker: seconds(variableDefault(blocks, 'worker', 'timeout')),
  };
  for (const [service, timeout] of Object.entries(timeouts))
    if (!(timeout <= 600)) problems.push(`${service}.timeout is ${timeout} s: a push request cannot outlive 600 s`);
  const routes = blocks
    .filter((b) => b.type === 'locals')
    .find((b) => b.values.has('routes'))
    ?.values.get('routes');
  const deadline = (topic: string) =>
    new RegExp(`"${topic}"\\s*=\\s*\\{[^}]*ack_deadline = ([\\w.]+)`).exec(routes ?? '')?.[1];
  for (const [topic, service] of [
    ['passes', 'planner_executor'],
    ['batch-completions', 'planner_executor'],
    ['batches', 'worker'],
  ] as const) {
    if (deadline(topic) !== `local.timeout_seconds.${service}`)
      problems.push(`the ${topic} push ack deadline (${deadline(topic)}) is not the ${service} request timeout`);
  }
  const run = blocks.find((b) => b.labels.join('.') === 'google_cloud_run_v2_service.services');
  const env = (
    run?.blocks.find((b) => b.type === 'template')?.blocks.find((b) => b.type === 'containers')?.blocks ?? []
  )
    .filter((b) => b.type === 'env')
    .map((b) => `${b.values.get('name')} = ${b.values.get('value')}`);
  if (!env.includes('"COMPUTE_REQUEST_TIMEOUT_SECONDS" = tostring(local.timeout_seconds[each.key])'))
    problems.push('the services are not told their request timeout (COMPUTE_REQUEST_TIMEOUT_SECONDS)');
  // The app's own defaults, with each service's timeout, for a project with both kinds of computation.
  const computations = [
    entry({ name: 'PerEntity', type: 'per-entity', requires: {} }),
    entry({ name: 'Global', type: 'global', requires: {} }),
  ];
  const manifest = { project: project(), computations, byName: new Map(), passes: [] };
  problems.push(
    ...requestLimitProblems(settingsFor({}, 'o', { requestTimeoutSeconds: timeouts.planner_executor }), manifest, [
      'planner',
      'executor',
    ]),
    ...requestLimitProblems(settingsFor({}, 'o', { requestTimeoutSeconds: timeouts.worker }), manifest, ['worker']),
  );
  const slots =
    number(variableDefault(blocks, 'worker', 'max_instances')) *
    number(variableDefault(blocks, 'worker', 'concurrency'));
  const perExecutor = DEFAULT_SETTINGS.computationConcurrency * DEFAULT_SETTINGS.maxInFlightBatches;
  if (number(variableDefault(blocks, 'executor_batches_in_flight')) !== perExecutor)
    problems.push(
      `executor_batches_in_flight is not the app's ${perExecutor} (computationConcurrency x maxInFlightBatches)`,
    );
  const wanted = number(variableDefault(blocks, 'planner_executor', 'max_instances')) * perExecutor;
  if (!(slots >= wanted)) problems.push(`the workers take ${slots} batches at once, the executors may send ${wanted}`);
  return problems;
}

/**
 * COMPUTE_WAREHOUSE as the module writes it, evaluated by terraform itself:
 * the module's `warehouse` local in a scratch root where the dataset it
 * creates is a constant (terraform console needs no provider for that).
 */
async function warehouseEnv(given: Record<string, string>): Promise<unknown> {
  // sharded-reads.tf's local stands in for enable_sharded_reads (the scratch root has no such variable).
  const { enable_sharded_reads: sharded, ...variables } = given;
  const main = await readFile(join(MODULE, 'main.tf'), 'utf8');
  const local = /^ {2}warehouse = merge\([\s\S]*?^ {2}\)$/m.exec(main)?.[0];
  expect(local).toBeDefined();
  const scratch = await mkdtemp(join(tmpdir(), 'compute-tf-env-'));
  try {
    await writeFile(
      join(scratch, 'main.tf'),
      `variable "project_id" {\n  default = "acme"\n}\nvariable "source_dataset_id" {\n  default = "facts"\n}\nvariable "bigquery_location" {\n  default = "EU"\n}\nvariable "maximum_bytes_billed" {\n  type    = number\n  default = null\n}\nlocals {\n  spool_dir = "/spool"\n  sharded_reads = ${sharded === 'true' ? '{ scratchDataset = "compute_scratch", minBytes = 67108864 }' : 'null'}\n${local!
        .replace('google_bigquery_dataset.results.dataset_id', '"compute_results"')
        .replace('google_bigquery_dataset.results.location', '"europe-west1"')}\n}\n`,
    );
    const args = ['console', ...Object.entries(variables).flatMap(([k, v]) => ['-var', `${k}=${v}`])];
    const child = promisify(execFile)('terraform', args, {
      cwd: scratch,
      env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' },
    });
    child.child.stdin!.end('jsonencode(local.warehouse)\n');
    const { stdout } = await child;
    return JSON.parse(JSON.parse(stdout.trim()) as string);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** What terraform itself says of the module's variables given `variables`: their validations run, no provider needed. */
async function validateVariables(variables: Record<string, string>): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'compute-tf-vars-'));
  try {
    await cp(join(MODULE, 'variables.tf'), join(scratch, 'variables.tf'));
    const required = {
      project_id: 'p',
      region: 'europe-west1',
      image: 'i',
      source_dataset_id: 'd',
      bigquery_location: 'EU',
    };
    const args = [
      'console',
      '-input=false',
      ...Object.entries({ ...required, ...variables }).flatMap(([k, v]) => ['-var', `${k}=${v}`]),
    ];
    const child = promisify(execFile)('terraform', args, {
      cwd: scratch,
      env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', NO_COLOR: '1' },
    });
    child.child.stdin!.end('"valid"\n');
    const result = await child.catch((error: { stdout: string; stderr: string }) => error);
    return `${result.stdout}${result.stderr}`.replace(/\u001b\[[0-9;]*m/g, '').replace(/[│╷╵]\s?/g, '');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

let blocks: HclBlock[];
beforeAll(() => {
  blocks = parseModule(MODULE);
});

describe('the module on a fresh project', () => {
  it('creates nothing that calls an API before the API is enabled and answering', () => {
    expect(apiProblems(blocks)).toEqual([]);
    const graph = moduleGraph(blocks);
    // The wait itself comes after the enabling, and the service agent's grants after the agent exists.
    expect(graph.waitsFor('time_sleep.apis_ready', 'google_project_service.apis')).toBe(true);
    for (const grant of [
      'google_service_account_iam_member.pubsub_agent_signs_push_tokens',
      'google_pubsub_topic_iam_member.pubsub_agent_dead_letters',
      'google_pubsub_subscription_iam_member.pubsub_agent_forwards',
      'google_pubsub_subscription_iam_member.pubsub_agent_forwards_eventarc',
    ])
      expect(graph.waitsFor(grant, 'google_project_service_identity.pubsub'), grant).toBe(true);
    expect(enabledApis(blocks)).toEqual(
      expect.arrayContaining([
        'cloudresourcemanager.googleapis.com',
        'iam.googleapis.com',
        'serviceusage.googleapis.com',
      ]),
    );
  });

  it('waits after creating the log-based metric before the alert policy on it', () => {
    expect(metricDelayProblems(blocks)).toEqual([]);
    expect(variableDefault(blocks, 'log_metric_wait')).toBe('"600s"');
  });

  it("adds one access entry to the user's source dataset instead of rewriting its IAM policy", () => {
    expect(datasetIamProblems(blocks)).toEqual([]);
    const access = blocks.find((b) => b.labels.join('.') === 'google_bigquery_dataset_access.reads_sources');
    expect(access?.values.get('dataset_id')).toBe('var.source_dataset_id');
    expect(access?.values.get('role')).toBe('"READER"');
  });

  it("keeps every limit the app reads inside the service timeouts it sets, and the workers' capacity above the fan-out", () => {
    expect(limitProblems(blocks)).toEqual([]);
  });

  it('writes a COMPUTE_WAREHOUSE the services accept, with the byte budget and results location when set', async () => {
    const withBudget = await warehouseEnv({ maximum_bytes_billed: '50000000000' });
    expect(withBudget).toEqual({
      type: 'bigquery',
      projectId: 'acme',
      dataset: 'facts',
      location: 'EU',
      resultsDataset: 'compute_results',
      resultsLocation: 'europe-west1',
      spoolDir: '/spool',
      maximumBytesBilled: 50_000_000_000,
    });
    // The app's own (strict) config schema reads it as it is.
    expect(parseProjectConfig({ warehouse: withBudget }, '/p').warehouse).toMatchObject({
      maximumBytesBilled: 50_000_000_000,
      resultsLocation: 'europe-west1',
      spoolDir: '/spool',
    });
    const without = await warehouseEnv({});
    expect(without).not.toHaveProperty('maximumBytesBilled');
    expect(without).not.toHaveProperty('shardedReads');
    expect(parseProjectConfig({ warehouse: without }, '/p').warehouse).not.toHaveProperty('maximumBytesBilled');
    // enable_sharded_reads: the scratch dataset and threshold reach the services, in a shape they accept.
    const sharded = await warehouseEnv({ enable_sharded_reads: 'true' });
    expect(parseProjectConfig({ warehouse: sharded }, '/p').warehouse).toMatchObject({
      shardedReads: { scratchDataset: 'compute_scratch', minBytes: 67_108_864 },
    });
  }, 60_000);

  it('refuses at plan time a service timeout past the push deadline, and a byte budget below what a query bills', async () => {
    const defaults = await validateVariables({});
    expect(defaults).toContain('"valid"');
    expect(defaults).not.toContain('Error');
    const late = await validateVariables({ worker: '{timeout="900s"}' });
    expect(late).toContain('worker.timeout must be whole seconds from 60s to 600s');
    expect(late).toContain('Error: Invalid value for variable');
    expect(await validateVariables({ planner_executor: '{timeout="10m"}' })).toContain(
      'planner_executor.timeout must be whole seconds from 60s to 600s',
    );
    expect(await validateVariables({ maximum_bytes_billed: '1000' })).toContain(
      'maximum_bytes_billed must be a whole number of bytes, at least 10485760',
    );
    expect(await validateVariables({ batch_max_delivery_attempts: '200' })).toContain(
      'batch_max_delivery_attempts must be from 5 to 100',
    );
  }, 60_000);

  it('lets the Pub/Sub service agent acknowledge on the subscriptions Eventarc owns', () => {
    const grant = blocks.find(
      (b) => b.labels.join('.') === 'google_pubsub_subscription_iam_member.pubsub_agent_forwards_eventarc',
    );
    expect(grant?.values.get('subscription')).toBe(
      'google_eventarc_trigger.deliveries[each.key].transport[0].pubsub[0].subscription',
    );
    expect(grant?.values.get('role')).toBe('"roles/pubsub.subscriber"');
  });

  it('probes /health, which Cloud Run passes to the container (it answers paths ending in z itself)', async () => {
    const run = await readFile(join(MODULE, 'run.tf'), 'utf8');
    // The startup probe and the liveness probe (a service whose batches hang answers it from its main thread).
    expect([...run.matchAll(/path = "([^"]+)"/g)].map((m) => m[1])).toEqual(['/health', '/health']);
    expect(run).toMatch(/startup_probe \{/);
    expect(run).toMatch(/liveness_probe \{/);
  });

  it('puts Firestore in the services region unless told otherwise, and lets the deploy root reuse an existing database', async () => {
    expect(variableDefault(blocks, 'firestore_location')).toBe('""');
    const data = blocks.find((b) => b.type === 'locals' && b.values.has('firestore_location'));
    expect(data?.values.get('firestore_location')).toBe(
      'var.firestore_location != "" ? var.firestore_location : var.region',
    );
    const module = parseModule(DEPLOY).find((b) => b.type === 'module')!;
    for (const name of [
      'create_firestore_database',
      'firestore_database_id',
      'maximum_bytes_billed',
      'results_location',
    ])
      expect(module.values.get(name), name).toBe(`var.${name}`);
    expect(await readFile(join(DEPLOY, 'terraform.tfvars.example'), 'utf8')).toContain('create_firestore_database');
  });
});

describe('the module puts a TTL policy on every collection group the state store writes', () => {
  it('google_firestore_field.state_expiry covers TTL_COLLECTIONS, on expireAt', () => {
    const field = parseModule(MODULE).find((b) => b.labels.join('.') === 'google_firestore_field.state_expiry')!;
    const groups = [...(field.values.get('for_each') ?? '').matchAll(/"([^"]+)"/g)].map((m) =>
      m[1]!.replace('${local.prefix}', 'PREFIX'),
    );
    expect(groups.sort()).toEqual([...TTL_COLLECTIONS].sort());
    expect(field.values.get('field')).toBe(`"${TTL_FIELD}"`);
    expect(field.blocks.map((b) => b.type)).toEqual(['ttl_config']);
  });
});

describe('the checks catch each defect (negative controls)', () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'compute-tf-fresh-'));
    await cp(MODULE, copy, { recursive: true });
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  async function edited(file: string, from: string, to: string): Promise<HclBlock[]> {
    const original = await readFile(join(copy, file), 'utf8');
    expect(original).toContain(from);
    await writeFile(join(copy, file), original.replace(from, to));
    try {
      return parseModule(copy);
    } finally {
      await writeFile(join(copy, file), original);
    }
  }

  it('a service account created before the IAM API answers', async () => {
    const broken = await edited(
      'iam.tf',
      '  display_name = "computation-system workers"\n  depends_on   = [time_sleep.apis_ready]\n',
      '  display_name = "computation-system workers"\n',
    );
    expect(apiProblems(broken)).toEqual([
      expect.stringMatching(
        /^iam\.tf:\d+: google_service_account\.worker: does not wait for google_project_service\.apis \(iam\.googleapis\.com\)/,
      ),
    ]);
  });

  it("the Pub/Sub service agent's grants made before the agent exists", async () => {
    const broken = await edited(
      'main.tf',
      'pubsub_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"',
      'pubsub_agent = "serviceAccount:service-${var.project_id}@gcp-sa-pubsub.iam.gserviceaccount.com"',
    );
    const graph = moduleGraph(broken);
    expect(
      graph.waitsFor(
        'google_pubsub_topic_iam_member.pubsub_agent_dead_letters',
        'google_project_service_identity.pubsub',
      ),
    ).toBe(false);
    // And without the wait after enabling, the agent's identity would be asked for too early.
    const early = await edited('main.tf', '  depends_on = [time_sleep.apis_ready]\n}', '}');
    expect(apiProblems(early)).toEqual([
      expect.stringContaining('google_project_service_identity.pubsub: does not wait for google_project_service.apis'),
    ]);
  });

  it('an API the module does not enable', async () => {
    const broken = await edited('main.tf', '    "cloudresourcemanager.googleapis.com",\n', '');
    expect(apiProblems(broken)).toEqual([
      expect.stringContaining(
        'google_project_iam_member.runs_bigquery_jobs: needs cloudresourcemanager.googleapis.com',
      ),
      expect.stringContaining('google_project_iam_member.firestore_users: needs cloudresourcemanager.googleapis.com'),
      expect.stringContaining(
        'google_project_iam_member.worker_read_sessions: needs cloudresourcemanager.googleapis.com',
      ),
    ]);
  });

  it('an alert policy created right after its metric', async () => {
    const broken = await edited('monitoring.tf', '  depends_on = [time_sleep.metric_ready]\n', '');
    expect(metricDelayProblems(broken)).toEqual([
      expect.stringContaining(
        'google_monitoring_alert_policy.failures: uses google_logging_metric.failed_computations with no time_sleep',
      ),
    ]);
  });

  it('dataset-wide IAM on the source dataset', async () => {
    const broken = await edited(
      'iam.tf',
      'resource "google_bigquery_dataset_access" "reads_sources" {\n  project       = var.project_id\n  dataset_id    = var.source_dataset_id\n  role          = "READER"\n  user_by_email = google_service_account.planner_executor.email\n',
      'resource "google_bigquery_dataset_iam_member" "reads_sources" {\n  project       = var.project_id\n  dataset_id    = var.source_dataset_id\n  role          = "roles/bigquery.dataViewer"\n  member        = google_service_account.planner_executor.member\n',
    );
    expect(datasetIamProblems(broken)).toEqual([
      expect.stringContaining(
        'google_bigquery_dataset_iam_member.reads_sources: google_bigquery_dataset_iam_member on var.source_dataset_id, a dataset the module does not own',
      ),
    ]);
  });

  it('a worker timeout past the push deadline, an ack deadline not tied to it, and too few workers', async () => {
    expect(
      limitProblems(
        await edited(
          'variables.tf',
          'timeout       = optional(string, "600s")',
          'timeout       = optional(string, "900s")',
        ),
      ),
    ).toContain('planner_executor.timeout is 900 s: a push request cannot outlive 600 s');
    expect(
      limitProblems(await edited('main.tf', 'ack_deadline = local.timeout_seconds.worker', 'ack_deadline = 600')),
    ).toEqual(['the batches push ack deadline (600) is not the worker request timeout']);
    expect(
      limitProblems(
        await edited('variables.tf', 'max_instances = optional(number, 100)', 'max_instances = optional(number, 20)'),
      ),
    ).toEqual(['the workers take 40 batches at once, the executors may send 192']);
  });
});
