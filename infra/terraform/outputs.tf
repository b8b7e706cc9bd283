output "planner_url" {
  description = "URL of the planner+executor service; the management API is at /api."
  value       = google_cloud_run_v2_service.services["planner_executor"].uri
}

output "worker_url" {
  description = "URL of the worker service."
  value       = google_cloud_run_v2_service.services["worker"].uri
}

output "runs_topic" {
  description = "The runs topic: publish {\"date\": \"YYYY-MM-DD\"} here to start a run."
  value       = google_pubsub_topic.topics["runs"].name
}

output "dead_letter_subscriptions" {
  description = "Where undeliverable messages wait, by source topic."
  value       = { for topic, sub in google_pubsub_subscription.dead_letters : topic => sub.name }
}

output "blob_bucket" {
  description = "Bucket of batch contexts and results."
  value       = google_storage_bucket.blobs.name
}

output "results_dataset" {
  description = "BigQuery dataset of the result tables."
  value       = google_bigquery_dataset.results.dataset_id
}

output "service_accounts" {
  description = "Service accounts of the planner+executor, the workers and the push deliveries."
  value = {
    planner_executor = google_service_account.planner_executor.email
    worker           = google_service_account.worker.email
    push             = google_service_account.push.email
  }
}
