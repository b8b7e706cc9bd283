resource "google_pubsub_topic" "topics" {
  for_each   = toset(local.topics)
  project    = var.project_id
  name       = "${local.prefix}-${each.value}"
  depends_on = [time_sleep.apis_ready]
}

# A dead-letter topic per delivered topic, each with a subscription that
# holds what lands there: without one, dead letters are dropped.
resource "google_pubsub_topic" "dead_letters" {
  for_each   = local.routes
  project    = var.project_id
  name       = "${local.prefix}-${each.key}-dead-letter"
  depends_on = [time_sleep.apis_ready]
}

resource "google_pubsub_subscription" "dead_letters" {
  for_each                   = local.routes
  project                    = var.project_id
  name                       = "${local.prefix}-${each.key}-dead-letter-hold"
  topic                      = google_pubsub_topic.dead_letters[each.key].id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60
  expiration_policy {
    ttl = ""
  }
  depends_on = [time_sleep.apis_ready]
}

# Push subscriptions named TOPIC-to-ROLE, as compute bootstrap names them.
resource "google_pubsub_subscription" "push" {
  for_each             = var.delivery == "push" ? local.routes : {}
  project              = var.project_id
  name                 = "${local.prefix}-${each.key}-to-${each.value.role}"
  topic                = google_pubsub_topic.topics[each.key].id
  ack_deadline_seconds = each.value.ack_deadline

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.services[local.service_of_role[each.value.role]].uri}/"
    # Signed by Google for the push account; Cloud Run lets it in because that account may invoke the service.
    oidc_token {
      service_account_email = google_service_account.push.email
    }
  }

  retry_policy {
    minimum_backoff = var.retry_minimum_backoff
    maximum_backoff = var.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letters[each.key].id
    max_delivery_attempts = each.value.attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_v2_service_iam_member.push_invokes]
}

# run.completed has no consuming service: a pull subscription for observers.
resource "google_pubsub_subscription" "run_completions" {
  project                    = var.project_id
  name                       = "${local.prefix}-run-completions-pull"
  topic                      = google_pubsub_topic.topics["run-completions"].id
  message_retention_duration = "604800s"
  expiration_policy {
    ttl = ""
  }
}
