import type { HclBlock } from './hcl.ts';
import { moduleGraph } from './terraform-graph.ts';

/**
 * Checks of the Terraform module that `terraform validate` would not make
 * and that matter on a fresh project's first apply. Each returns one line
 * per defect (empty when none), so a test shows every defect at once.
 */

/** The API each resource type of the module calls; a type missing here is itself a defect (add it). */
export const API_OF: Record<string, string> = {
  google_service_account: 'iam.googleapis.com',
  google_service_account_iam_member: 'iam.googleapis.com',
  google_project_iam_member: 'cloudresourcemanager.googleapis.com',
  google_project_service_identity: 'serviceusage.googleapis.com',
  google_pubsub_topic: 'pubsub.googleapis.com',
  google_pubsub_topic_iam_member: 'pubsub.googleapis.com',
  google_pubsub_subscription: 'pubsub.googleapis.com',
  google_pubsub_subscription_iam_member: 'pubsub.googleapis.com',
  google_cloud_run_v2_service: 'run.googleapis.com',
  google_cloud_run_v2_service_iam_member: 'run.googleapis.com',
  google_firestore_database: 'firestore.googleapis.com',
  google_firestore_field: 'firestore.googleapis.com',
  google_firestore_index: 'firestore.googleapis.com',
  google_storage_bucket: 'storage.googleapis.com',
  google_storage_bucket_iam_member: 'storage.googleapis.com',
  google_bigquery_dataset: 'bigquery.googleapis.com',
  google_bigquery_dataset_access: 'bigquery.googleapis.com',
  google_bigquery_dataset_iam_member: 'bigquery.googleapis.com',
  google_cloud_scheduler_job: 'cloudscheduler.googleapis.com',
  google_eventarc_trigger: 'eventarc.googleapis.com',
  google_logging_metric: 'logging.googleapis.com',
  google_monitoring_notification_channel: 'monitoring.googleapis.com',
  google_monitoring_alert_policy: 'monitoring.googleapis.com',
};

const ENABLER = 'google_project_service.apis';
const resources = (blocks: HclBlock[]) => blocks.filter((b) => b.type === 'resource');
const idOf = (b: HclBlock) => `${b.labels[0]}.${b.labels[1]}`;
const where = (b: HclBlock) => `${b.file}:${b.line}: ${idOf(b)}`;

/** The APIs the module enables: the strings of `local.apis`. */
export function enabledApis(blocks: HclBlock[]): string[] {
  const list =
    blocks
      .filter((b) => b.type === 'locals')
      .find((b) => b.values.has('apis'))
      ?.values.get('apis') ?? '';
  return [...list.matchAll(/"([a-z.]+\.googleapis\.com)"/g)].map((m) => m[1]!);
}

/** Every resource that calls an API is created after the module enables it (directly or through what it references). */
export function apiProblems(blocks: HclBlock[]): string[] {
  const graph = moduleGraph(blocks);
  const apis = enabledApis(blocks);
  const problems: string[] = [];
  for (const block of resources(blocks)) {
    const type = block.labels[0]!;
    if (type === 'google_project_service' || type.startsWith('time_')) continue;
    const api = API_OF[type];
    if (api === undefined) {
      problems.push(
        `${where(block)}: which API does ${type} call? Add it to API_OF (test/support/terraform-checks.ts)`,
      );
      continue;
    }
    if (!apis.includes(api)) problems.push(`${where(block)}: needs ${api}, which local.apis does not enable`);
    if (!graph.waitsFor(idOf(block), ENABLER))
      problems.push(
        `${where(block)}: does not wait for ${ENABLER} (${api}): on a fresh project it is created before the API answers. Add depends_on = [time_sleep.apis_ready]`,
      );
  }
  return problems;
}

/** An alert policy on a log-based metric waits (time_sleep) after the metric, which Monitoring learns of minutes later. */
export function metricDelayProblems(blocks: HclBlock[]): string[] {
  const graph = moduleGraph(blocks);
  const sleeps = resources(blocks).filter((b) => b.labels[0] === 'time_sleep');
  const problems: string[] = [];
  for (const policy of resources(blocks).filter((b) => b.labels[0] === 'google_monitoring_alert_policy')) {
    for (const metric of resources(blocks).filter((b) => b.labels[0] === 'google_logging_metric')) {
      if (!graph.waitsFor(idOf(policy), idOf(metric))) continue;
      const delay = sleeps.find((s) => graph.waitsFor(idOf(policy), idOf(s)) && graph.waitsFor(idOf(s), idOf(metric)));
      if (delay === undefined)
        problems.push(
          `${where(policy)}: uses ${idOf(metric)} with no time_sleep between them: the first apply fails with "Cannot find metric(s)"`,
        );
    }
  }
  return problems;
}

/** No dataset-wide IAM on a dataset the module does not create: it would replace the dataset's access list. */
export function datasetIamProblems(blocks: HclBlock[]): string[] {
  return (
    resources(blocks)
      .filter((b) => /^google_bigquery_dataset_iam_(member|binding|policy)$/.test(b.labels[0]!))
      // A dataset the module creates, with or without count (google_bigquery_dataset.scratch[0]).
      .filter((b) => !/^google_bigquery_dataset\.\w+(\[\d+\])?\.dataset_id$/.test(b.values.get('dataset_id') ?? ''))
      .map(
        (b) =>
          `${where(b)}: ${b.labels[0]} on ${b.values.get('dataset_id')}, a dataset the module does not own, drops its authorized views: use google_bigquery_dataset_access`,
      )
  );
}

/** A variable's default as written (e.g. `"600s"`, `null`), or of one field of an object variable's `optional(type, default)`. */
export function variableDefault(blocks: HclBlock[], name: string, field?: string): string | undefined {
  const variable = blocks.find((b) => b.type === 'variable' && b.labels[0] === name);
  if (variable === undefined) return undefined;
  if (field === undefined) return variable.values.get('default');
  const match = new RegExp(`\\b${field}\\s*=\\s*optional\\(\\w+,\\s*("[^"]*"|[\\w.]+)\\)`).exec(
    variable.values.get('type') ?? '',
  );
  return match?.[1];
}
