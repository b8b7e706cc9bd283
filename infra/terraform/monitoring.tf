# A log-based metric counting failed computations (the executor logs
# "NAME failed on DATE" at ERROR with the computation as a field), and an
# alert when one fails or a message lands in a dead-letter topic.
resource "google_logging_metric" "failed_computations" {
  project = var.project_id
  name    = "${local.prefix}-failed-computations"
  filter  = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name="${google_cloud_run_v2_service.services["planner_executor"].name}"
    severity>=ERROR
    jsonPayload.computation:*
    jsonPayload.message=~" failed on [0-9]{4}-[0-9]{2}-[0-9]{2}$"
  EOT
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "computation"
      value_type = "STRING"
    }
  }
  label_extractors = {
    computation = "EXTRACT(jsonPayload.computation)"
  }
  depends_on = [time_sleep.apis_ready]
}

# Monitoring knows a new log-based metric only minutes after Logging made it:
# an alert policy created at once fails with "Cannot find metric(s) ... could
# take up to 10 minutes". The wait runs again only when the metric is remade.
resource "time_sleep" "metric_ready" {
  create_duration = var.log_metric_wait
  triggers = {
    metric = google_logging_metric.failed_computations.id
    checks = google_logging_metric.failed_checks.id
  }
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email == "" ? 0 : 1
  project      = var.project_id
  display_name = "${local.prefix} alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
  depends_on = [time_sleep.apis_ready]
}

resource "google_monitoring_alert_policy" "failures" {
  project      = var.project_id
  display_name = "${local.prefix}: a computation failed or a message was dead-lettered"
  combiner     = "OR"

  conditions {
    display_name = "Failed computations"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.failed_computations.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.computation"]
      }
      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Messages in a dead-letter subscription"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.label.subscription_id=monitoring.regex.full_match(\"${local.prefix}-.*-dead-letter-hold\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
      trigger {
        count = 1
      }
    }
  }

  notification_channels = concat(var.alert_notification_channels, google_monitoring_notification_channel.email[*].id)

  documentation {
    content   = "A computation failed (see the Execution Summary in the planner's logs and `compute status`) or Pub/Sub gave up on a message after ${var.max_delivery_attempts} deliveries (replay it as the computation-system README says under Dead letters)."
    mime_type = "text/markdown"
  }

  depends_on = [time_sleep.metric_ready]
}

# Failed result checks (issue 22): the executor logs one line per failed check
# with jsonPayload.event "check.failed", the check's name and its severity
# ("error" failed the computation-date and blocked its dependents; "warn"
# blocked nothing). Counted per computation, check and severity.
resource "google_logging_metric" "failed_checks" {
  project = var.project_id
  name    = "${local.prefix}-failed-checks"
  filter  = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name="${google_cloud_run_v2_service.services["planner_executor"].name}"
    jsonPayload.event="check.failed"
  EOT
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key        = "computation"
      value_type = "STRING"
    }
    labels {
      key        = "check"
      value_type = "STRING"
    }
    labels {
      key        = "severity"
      value_type = "STRING"
    }
  }
  label_extractors = {
    computation = "EXTRACT(jsonPayload.computation)"
    check       = "EXTRACT(jsonPayload.check)"
    severity    = "EXTRACT(jsonPayload.checkSeverity)"
  }
  depends_on = [time_sleep.apis_ready]
}

resource "google_monitoring_alert_policy" "failed_checks" {
  project      = var.project_id
  display_name = "${local.prefix}: a result check failed"
  combiner     = "OR"

  conditions {
    display_name = "Failed result checks"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.failed_checks.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.computation", "metric.label.check", "metric.label.severity"]
      }
      trigger {
        count = 1
      }
    }
  }

  notification_channels = concat(var.alert_notification_channels, google_monitoring_notification_channel.email[*].id)

  documentation {
    content   = "A result check failed on a computation's stored results. Severity `error`: the computation-date failed and its dependents are blocked; severity `warn`: reported only. `compute show --computation NAME --date DATE` lists each check's outcome and the first offending entities."
    mime_type = "text/markdown"
  }

  depends_on = [time_sleep.metric_ready]
}
