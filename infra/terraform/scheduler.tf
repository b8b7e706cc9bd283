# One job per schedule time (from `compute schedules --format tfvars`): it
# publishes {"date": "yesterday", "schedule": "HH:MM"} to the runs topic and
# the planner runs the computations due then. The date is resolved against
# the publish time, so a retried publish runs the same date.
resource "google_cloud_scheduler_job" "scheduled_runs" {
  for_each    = var.scheduled_runs
  project     = var.project_id
  region      = var.region
  name        = "${local.prefix}-run-${each.key}"
  description = each.value.description
  schedule    = each.value.cron
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topics["runs"].id
    data       = base64encode(each.value.data)
  }

  retry_config {
    retry_count = 3
  }

  depends_on = [time_sleep.apis_ready]
}

# The watchdog: every few minutes, drive on runs whose holder is gone.
resource "google_cloud_scheduler_job" "sweep" {
  count       = var.sweep_schedule == "" ? 0 : 1
  project     = var.project_id
  region      = var.region
  name        = "${local.prefix}-sweep"
  description = "computation-system watchdog: resumes runs whose executor died"
  schedule    = var.sweep_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topics["runs"].id
    data       = base64encode(var.sweep_message)
  }

  depends_on = [time_sleep.apis_ready]
}
