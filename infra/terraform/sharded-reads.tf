# Sharded reads (README "Scaling past one executor"): the executor writes
# large per-entity windows into scratch tables with query jobs, and the
# workers read their own shards through the BigQuery Storage Read API.
# Off unless enable_sharded_reads is true.

variable "enable_sharded_reads" {
  description = "Workers read large per-entity windows themselves through the Storage Read API, from scratch tables the executor writes."
  type        = bool
  default     = false
}

variable "scratch_dataset_id" {
  description = "Dataset for the scratch tables of sharded reads, created in bigquery_location."
  type        = string
  default     = "compute_scratch"
}

variable "sharded_reads_min_bytes" {
  description = "Per-entity reads whose dry run bills fewer bytes take the executor's path (README \"Scaling past one executor\")."
  type        = number
  default     = 67108864
}

locals {
  sharded_reads = var.enable_sharded_reads ? {
    scratchDataset = google_bigquery_dataset.scratch[0].dataset_id
    minBytes       = var.sharded_reads_min_bytes
  } : null
}

# Scratch tables expire on their own a day after they are made (the
# executor also drops them when the computation-date finalizes).
resource "google_bigquery_dataset" "scratch" {
  count                       = var.enable_sharded_reads ? 1 : 0
  project                     = var.project_id
  dataset_id                  = var.scratch_dataset_id
  location                    = var.bigquery_location
  description                 = "Scratch tables of computation-system's sharded reads; they expire after a day."
  default_table_expiration_ms = 86400000
  delete_contents_on_destroy  = true
  depends_on                  = [time_sleep.apis_ready]
}

# The executor writes (and drops) the scratch tables; workers read their
# shards: data access on the scratch dataset only...
resource "google_bigquery_dataset_iam_member" "scratch" {
  for_each = var.enable_sharded_reads ? {
    writes = { role = "roles/bigquery.dataEditor", member = google_service_account.planner_executor.member }
    reads  = { role = "roles/bigquery.dataViewer", member = google_service_account.worker.member }
  } : {}
  project    = var.project_id
  dataset_id = google_bigquery_dataset.scratch[0].dataset_id
  role       = each.value.role
  member     = each.value.member
}

# ...and read sessions, which are created in (and billed to) the project.
resource "google_project_iam_member" "worker_read_sessions" {
  count      = var.enable_sharded_reads ? 1 : 0
  project    = var.project_id
  role       = "roles/bigquery.readSessionUser"
  member     = google_service_account.worker.member
  depends_on = [time_sleep.apis_ready]
}
