# Optional (delivery = "eventarc"): Eventarc triggers instead of push
# subscriptions. The services read the CloudEvents as they are. Eventarc
# makes and owns each trigger's subscription: give it a dead-letter topic
# with gcloud (infra/README.md) or messages that keep failing are dropped
# after the retention period.
resource "google_eventarc_trigger" "deliveries" {
  for_each        = var.delivery == "eventarc" ? local.routes : {}
  project         = var.project_id
  location        = var.region
  name            = "${local.prefix}-${each.key}-to-${each.value.role}"
  service_account = google_service_account.push.email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }

  destination {
    cloud_run_service {
      service = google_cloud_run_v2_service.services[local.service_of_role[each.value.role]].name
      region  = var.region
      path    = "/"
    }
  }

  transport {
    pubsub {
      topic = google_pubsub_topic.topics[each.key].id
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.push_invokes]
}
