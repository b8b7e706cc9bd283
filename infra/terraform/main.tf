# computation-system on Google Cloud: the planner and executor in one Cloud
# Run service, the workers in another, Pub/Sub between them, state in
# Firestore, blobs in Cloud Storage, results in BigQuery, Cloud Scheduler to
# start the scheduled runs. Names match what `compute bootstrap` creates.

locals {
  prefix = var.name_prefix

  # Each topic, the service role its push subscription delivers to, and how
  # long one delivery may take (a pass or a batch is acknowledged when done).
  # A delivery that holds a pass or a batch waits as long as its service's
  # request timeout (push: the ack deadline is the HTTP timeout, at most
  # 600 s). Batches may meet a full worker fleet (429) in a burst: they get
  # more deliveries before dead-lettering.
  routes = {
    "runs"                    = { role = "planner", ack_deadline = 60, attempts = var.max_delivery_attempts }
    "computation-completions" = { role = "planner", ack_deadline = 60, attempts = var.max_delivery_attempts }
    "passes"                  = { role = "executor", ack_deadline = local.timeout_seconds.planner_executor, attempts = var.max_delivery_attempts }
    "batch-completions"       = { role = "executor", ack_deadline = local.timeout_seconds.planner_executor, attempts = var.max_delivery_attempts }
    "batches"                 = { role = "worker", ack_deadline = local.timeout_seconds.worker, attempts = var.batch_max_delivery_attempts }
  }
  # Each service's request timeout in seconds ("600s" -> 600); the services check their limits against it at start-up.
  timeout_seconds = {
    planner_executor = tonumber(trimsuffix(var.planner_executor.timeout, "s"))
    worker           = tonumber(trimsuffix(var.worker.timeout, "s"))
  }
  topics = concat(keys(local.routes), ["run-completions"])

  # Who publishes where: the least each service account needs.
  publishes = {
    planner_executor = ["runs", "passes", "batches", "computation-completions", "run-completions"]
    worker           = ["batch-completions"]
  }

  # The Pub/Sub service agent, made to exist (Google creates it lazily) by google_project_service_identity.
  pubsub_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"
  bucket       = var.blob_bucket_name != "" ? var.blob_bucket_name : "${var.project_id}-${local.prefix}-blobs"

  # What the services read (see the README of computation-system: compute.config.json and COMPUTE_*).
  service_env = merge({
    COMPUTE_API_AUTH = "iam"
    # Events on / are taken only from this account's OIDC tokens: run.invoker alone is not enough.
    COMPUTE_PUSH_SERVICE_ACCOUNT = google_service_account.push.email
    COMPUTE_WAREHOUSE            = jsonencode(local.warehouse)
    COMPUTE_STATE                = jsonencode({ type = "firestore", projectId = var.project_id, databaseId = var.firestore_database_id, collectionPrefix = local.prefix, historyDays = var.state_history_days })
    COMPUTE_BLOBS                = jsonencode({ type = "gcs", bucket = google_storage_bucket.blobs.name })
    COMPUTE_BUS                  = jsonencode({ type = "pubsub", projectId = var.project_id, topicPrefix = local.prefix })
  }, var.extra_env)

  # The whole warehouse object (COMPUTE_WAREHOUSE replaces the config file's):
  # the byte budget and results location go with it when set.
  warehouse = merge(
    {
      type            = "bigquery"
      projectId       = var.project_id
      dataset         = var.source_dataset_id
      location        = var.bigquery_location
      resultsDataset  = google_bigquery_dataset.results.dataset_id
      resultsLocation = google_bigquery_dataset.results.location
      spoolDir        = local.spool_dir
    },
    { for k, v in { maximumBytesBilled = var.maximum_bytes_billed } : k => v if v != null },
    # Sharded reads (sharded-reads.tf), when enabled.
    { for k, v in { shardedReads = local.sharded_reads } : k => v if v != null },
  )
  # Results of a computation are spooled here before their load job: a size-limited in-memory volume (run.tf).
  spool_dir = "/spool"

  apis = [
    "serviceusage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "run.googleapis.com",
    "pubsub.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "storage.googleapis.com",
    "eventarc.googleapis.com",
    "monitoring.googleapis.com",
    "logging.googleapis.com",
    "iam.googleapis.com",
  ]
}

resource "google_project_service" "apis" {
  for_each           = var.enable_apis ? toset(local.apis) : toset([])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# An API answers a while after it is enabled: everything that uses one waits
# for this (directly or through what it references).
resource "time_sleep" "apis_ready" {
  create_duration = var.enable_apis ? var.api_enable_wait : "0s"
  triggers = {
    apis = join(",", sort(keys(google_project_service.apis)))
  }
}

# Google creates the Pub/Sub service agent lazily; its grants (iam.tf) need it to exist.
resource "google_project_service_identity" "pubsub" {
  provider   = google-beta
  project    = var.project_id
  service    = "pubsub.googleapis.com"
  depends_on = [time_sleep.apis_ready]
}
