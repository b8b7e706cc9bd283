# computation-system on Google Cloud: the planner and executor in one Cloud
# Run service, the workers in another, Pub/Sub between them, state in
# Firestore, blobs in Cloud Storage, results in BigQuery, Cloud Scheduler to
# start the scheduled runs. Names match what `compute bootstrap` creates.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  prefix = var.name_prefix

  # Each topic, the service role its push subscription delivers to, and how
  # long one delivery may take (a pass or a batch is acknowledged when done).
  routes = {
    "runs"                    = { role = "planner", ack_deadline = 60 }
    "computation-completions" = { role = "planner", ack_deadline = 60 }
    "passes"                  = { role = "executor", ack_deadline = 600 }
    "batch-completions"       = { role = "executor", ack_deadline = 600 }
    "batches"                 = { role = "worker", ack_deadline = 600 }
  }
  topics = concat(keys(local.routes), ["run-completions"])

  # Who publishes where: the least each service account needs.
  publishes = {
    planner_executor = ["runs", "passes", "batches", "computation-completions", "run-completions"]
    worker           = ["batch-completions"]
  }

  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  bucket       = var.blob_bucket_name != "" ? var.blob_bucket_name : "${var.project_id}-${local.prefix}-blobs"

  # What the services read (see the README of computation-system: compute.config.json and COMPUTE_*).
  service_env = merge({
    COMPUTE_API_AUTH  = "iam"
    COMPUTE_WAREHOUSE = jsonencode({ type = "bigquery", projectId = var.project_id, dataset = var.source_dataset_id, location = var.bigquery_location, resultsDataset = google_bigquery_dataset.results.dataset_id })
    COMPUTE_STATE     = jsonencode({ type = "firestore", projectId = var.project_id, databaseId = var.firestore_database_id, collectionPrefix = local.prefix })
    COMPUTE_BLOBS     = jsonencode({ type = "gcs", bucket = google_storage_bucket.blobs.name })
    COMPUTE_BUS       = jsonencode({ type = "pubsub", projectId = var.project_id, topicPrefix = local.prefix })
  }, var.extra_env)

  apis = [
    "run.googleapis.com",
    "pubsub.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "bigquery.googleapis.com",
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
