# Firestore for the state; a TTL policy deletes expired computation states
# on the field the state store writes (expireAt, from each ttlDays).
# Its location cannot change once created: it defaults to the region of the
# services (a regional location), not a multi-region far from them.
locals {
  firestore_location = var.firestore_location != "" ? var.firestore_location : var.region
}

resource "google_firestore_database" "state" {
  count                   = var.create_firestore_database ? 1 : 0
  project                 = var.project_id
  name                    = var.firestore_database_id
  location_id             = local.firestore_location
  type                    = "FIRESTORE_NATIVE"
  deletion_policy         = var.deletion_protection ? "ABANDON" : "DELETE"
  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  depends_on              = [time_sleep.apis_ready]
}

# Every collection group the state store writes expireAt into (TTL_COLLECTIONS
# in shared/adapters/firestore/firestore-state-store.ts): states after their
# ttlDays, runs, leases, ledgers and run history state_history_days after their
# last write.
# steps, planned and batches are subcollection names: a TTL policy covers
# every collection of that name in the database, and deletes only documents
# that hold an expireAt timestamp.
resource "google_firestore_field" "state_expiry" {
  for_each   = toset(["${local.prefix}-states", "${local.prefix}-runs", "${local.prefix}-history", "steps", "${local.prefix}-leases", "${local.prefix}-ledgers", "planned", "batches"])
  project    = var.project_id
  database   = var.firestore_database_id
  collection = each.value
  field      = "expireAt"
  ttl_config {}
  depends_on = [google_firestore_database.state, time_sleep.apis_ready]
}

# Batch contexts and results pass through here; finished computations
# delete theirs, the lifecycle rule sweeps what a crash left behind.
resource "google_storage_bucket" "blobs" {
  project                     = var.project_id
  name                        = local.bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  lifecycle_rule {
    condition {
      age = var.blob_retention_days
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [time_sleep.apis_ready]
}

resource "google_bigquery_dataset" "results" {
  project     = var.project_id
  dataset_id  = var.results_dataset_id
  location    = var.results_location != "" ? var.results_location : var.bigquery_location
  description = "Results of computation-system, one table per computation, partitioned by date."
  depends_on  = [time_sleep.apis_ready]
}
