# Firestore for the state; a TTL policy deletes expired computation states
# on the field the state store writes (expireAt, from each ttlDays).
resource "google_firestore_database" "state" {
  count                   = var.create_firestore_database ? 1 : 0
  project                 = var.project_id
  name                    = var.firestore_database_id
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  deletion_policy         = var.deletion_protection ? "ABANDON" : "DELETE"
  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  depends_on              = [google_project_service.apis]
}

resource "google_firestore_field" "state_expiry" {
  project    = var.project_id
  database   = var.firestore_database_id
  collection = "${local.prefix}-states"
  field      = "expireAt"
  ttl_config {}
  depends_on = [google_firestore_database.state]
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
  depends_on = [google_project_service.apis]
}

resource "google_bigquery_dataset" "results" {
  project     = var.project_id
  dataset_id  = var.results_dataset_id
  location    = var.bigquery_location
  description = "Results of computation-system, one table per computation, partitioned by date."
  depends_on  = [google_project_service.apis]
}
