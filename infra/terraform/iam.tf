# One service account per service, one for Pub/Sub pushes; each holds the
# least its work needs (infra/README.md says why each role is there).

resource "google_service_account" "planner_executor" {
  project      = var.project_id
  account_id   = "${local.prefix}-planner"
  display_name = "computation-system planner and executor"
  depends_on   = [time_sleep.apis_ready]
}

resource "google_service_account" "worker" {
  project      = var.project_id
  account_id   = "${local.prefix}-worker"
  display_name = "computation-system workers"
  depends_on   = [time_sleep.apis_ready]
}

resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "${local.prefix}-push"
  display_name = "computation-system Pub/Sub push and Eventarc deliveries"
  depends_on   = [time_sleep.apis_ready]
}

locals {
  # The member of each service's account, keyed like local.services.
  service_members = {
    planner_executor = google_service_account.planner_executor.member
    worker           = google_service_account.worker.member
  }
  publisher_grants = merge([
    for service, topics in local.publishes : { for topic in topics : "${service}/${topic}" => { topic = topic, member = local.service_members[service] } }
  ]...)
}

# Publishing: each service on the topics it publishes to, nothing else.
resource "google_pubsub_topic_iam_member" "publishers" {
  for_each = local.publisher_grants
  project  = var.project_id
  topic    = google_pubsub_topic.topics[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = each.value.member
}

# BigQuery: the planner+executor reads the sources, writes results, runs jobs. Workers never touch BigQuery.
# The source dataset is the user's: one access entry is added to it. A
# google_bigquery_dataset_iam_member there would rewrite its whole access
# list and drop its authorized views, routines and datasets.
resource "google_bigquery_dataset_access" "reads_sources" {
  project       = var.project_id
  dataset_id    = var.source_dataset_id
  role          = "READER"
  user_by_email = google_service_account.planner_executor.email
  depends_on    = [time_sleep.apis_ready]
}

resource "google_bigquery_dataset_iam_member" "writes_results" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.results.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.planner_executor.member
}

resource "google_project_iam_member" "runs_bigquery_jobs" {
  project    = var.project_id
  role       = "roles/bigquery.jobUser"
  member     = google_service_account.planner_executor.member
  depends_on = [time_sleep.apis_ready]
}

# Firestore: both keep state (runs, leases, the batch ledger).
resource "google_project_iam_member" "firestore_users" {
  for_each   = local.service_members
  project    = var.project_id
  role       = "roles/datastore.user"
  member     = each.value
  depends_on = [time_sleep.apis_ready]
}

# Blobs: both read, write and delete objects in the bucket (and only there).
resource "google_storage_bucket_iam_member" "blob_users" {
  for_each = local.service_members
  bucket   = google_storage_bucket.blobs.name
  role     = "roles/storage.objectUser"
  member   = each.value
}

# Deliveries: the push account may invoke both services; nobody else may, except the named API callers,
# who may invoke the planner only. Their token gets them to /api: / refuses any token but the push
# account's (COMPUTE_PUSH_SERVICE_ACCOUNT), and the worker service takes events only.
resource "google_cloud_run_v2_service_iam_member" "push_invokes" {
  for_each = google_cloud_run_v2_service.services
  project  = var.project_id
  location = var.region
  name     = each.value.name
  role     = "roles/run.invoker"
  member   = google_service_account.push.member
}

resource "google_cloud_run_v2_service_iam_member" "api_invokers" {
  for_each = toset(var.api_invokers)
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.services["planner_executor"].name
  role     = "roles/run.invoker"
  member   = each.value
}

# The Pub/Sub service agent signs the push OIDC tokens as the push account,
# moves undeliverable messages to the dead-letter topics and acknowledges
# them on the source subscriptions.
resource "google_service_account_iam_member" "pubsub_agent_signs_push_tokens" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letters" {
  for_each = local.routes
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letters[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_forwards" {
  for_each     = var.delivery == "push" ? local.routes : {}
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# With Eventarc, the dead-letter topic goes on Eventarc's own subscription
# (gcloud, infra/README.md); the service agent must acknowledge there too.
resource "google_pubsub_subscription_iam_member" "pubsub_agent_forwards_eventarc" {
  for_each     = var.delivery == "eventarc" ? local.routes : {}
  project      = var.project_id
  subscription = google_eventarc_trigger.deliveries[each.key].transport[0].pubsub[0].subscription
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
