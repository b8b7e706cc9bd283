# Two Cloud Run services from the one image: the planner and executor
# together (they share the warehouse reader and hold few requests), and the
# workers, which scale out. No unauthenticated access: Cloud Run checks
# every caller (COMPUTE_API_AUTH=iam) and only the push account and the
# named API callers may invoke.

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
      dynamic "env" {
        for_each = local.service_env
        content {
          name  = env.key
          value = env.value
        }
      }
      startup_probe {
        http_get {
          path = "/healthz"
        }
      }
    }
  }

  depends_on = [google_project_service.apis]
}
