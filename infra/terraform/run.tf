# Two Cloud Run services from the one image: the planner and executor
# together (they share the warehouse reader and hold few requests), and the
# workers, which scale out. No unauthenticated access: Cloud Run checks
# every caller (COMPUTE_API_AUTH=iam) and only the push account and the
# named API callers may invoke. Cloud Run grants invoke per service, not
# per path: the services themselves accept events on / only from the push
# account (COMPUTE_PUSH_SERVICE_ACCOUNT), so an API caller reaches /api only.

locals {
  services = {
    planner_executor = { name = "${local.prefix}-planner", roles = "planner,executor", settings = var.planner_executor, account = google_service_account.planner_executor.email }
    worker           = { name = "${local.prefix}-worker", roles = "worker", settings = var.worker, account = google_service_account.worker.email }
  }
  # The service each delivery role's events go to.
  service_of_role = { planner = "planner_executor", executor = "planner_executor", worker = "worker" }
}

resource "google_cloud_run_v2_service" "services" {
  for_each            = local.services
  project             = var.project_id
  name                = each.value.name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = each.value.account
    timeout                          = each.value.settings.timeout
    max_instance_request_concurrency = each.value.settings.concurrency
    scaling {
      min_instance_count = each.value.settings.min_instances
      max_instance_count = each.value.settings.max_instances
    }
    containers {
      image = var.image
      resources {
        limits = {
          cpu    = each.value.settings.cpu
          memory = each.value.settings.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }
      env {
        name  = "COMPUTE_SERVICE"
        value = each.value.roles
      }
      # The limits of the work one request holds are checked against this at start-up.
      env {
        name  = "COMPUTE_REQUEST_TIMEOUT_SECONDS"
        value = tostring(local.timeout_seconds[each.key])
      }
      # How many batches the workers take at once, and how many executors may send them (checked at start-up).
      env {
        name  = "COMPUTE_WORKER_SLOTS"
        value = tostring(var.worker.max_instances * var.worker.concurrency)
      }
      env {
        name  = "COMPUTE_EXECUTOR_INSTANCES"
        value = tostring(var.planner_executor.max_instances)
      }
      dynamic "env" {
        for_each = local.service_env
        content {
          name  = env.key
          value = env.value
        }
      }
      # Cloud Run answers paths ending in z (/healthz) itself: probes use /health.
      startup_probe {
        http_get {
          path = "/health"
        }
      }
      # An instance whose event loop stops answering (user code stuck on the main thread) is
      # replaced after about 90 s, instead of holding its requests until they time out.
      liveness_probe {
        http_get {
          path = "/health"
        }
        period_seconds    = 30
        timeout_seconds   = 10
        failure_threshold = 3
      }
      dynamic "volume_mounts" {
        for_each = each.key == "planner_executor" ? [local.spool_dir] : []
        content {
          name       = "spool"
          mount_path = volume_mounts.value
        }
      }
    }
    # Results are spooled before their load job. Cloud Run's disk is memory:
    # a size-limited volume keeps a large result set from eating the heap of
    # concurrent requests; it counts against the memory limit.
    dynamic "volumes" {
      for_each = each.key == "planner_executor" ? [var.results_spool_size] : []
      content {
        name = "spool"
        empty_dir {
          medium     = "MEMORY"
          size_limit = volumes.value
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.worker.max_instances * var.worker.concurrency >= var.planner_executor.max_instances * var.executor_batches_in_flight
      error_message = "The workers hold worker.max_instances x worker.concurrency batches at once, fewer than the executors may send (planner_executor.max_instances x executor_batches_in_flight): the rest get 429 and, after batch_max_delivery_attempts, the dead-letter topic. Raise worker.max_instances or lower the others."
    }
  }

  depends_on = [time_sleep.apis_ready]
}
