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
}

resource "google_cloud_run_v2_service" "planner_executor" {
  project             = var.project_id
  name                = local.services.planner_executor.name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = local.services.planner_executor.account
    timeout                          = var.planner_executor.timeout
    max_instance_request_concurrency = var.planner_executor.concurrency
    scaling {
      min_instance_count = var.planner_executor.min_instances
      max_instance_count = var.planner_executor.max_instances
    }
    containers {
      image = var.image
      resources {
        limits = {
          cpu    = var.planner_executor.cpu
          memory = var.planner_executor.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }
      env {
        name  = "COMPUTE_SERVICE"
        value = local.services.planner_executor.roles
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

resource "google_cloud_run_v2_service" "worker" {
  project             = var.project_id
  name                = local.services.worker.name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = local.services.worker.account
    timeout                          = var.worker.timeout
    max_instance_request_concurrency = var.worker.concurrency
    scaling {
      min_instance_count = var.worker.min_instances
      max_instance_count = var.worker.max_instances
    }
    containers {
      image = var.image
      resources {
        limits = {
          cpu    = var.worker.cpu
          memory = var.worker.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }
      env {
        name  = "COMPUTE_SERVICE"
        value = local.services.worker.roles
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
