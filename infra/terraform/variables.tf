variable "project_id" {
  description = "Google Cloud project everything is created in."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run services, the Scheduler jobs and the bucket, e.g. europe-west1."
  type        = string
}

variable "image" {
  description = "Container image of the project (built from its Dockerfile), e.g. europe-west1-docker.pkg.dev/P/compute/app:v1. One image serves every service."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of topics, subscriptions, services, jobs and collections; the bus.topicPrefix of compute.config.json. (Default: compute, as compute bootstrap uses)"
  type        = string
  default     = "compute"
}

variable "source_dataset_id" {
  description = "BigQuery dataset holding the tables the computations read (granted read-only)."
  type        = string
}

variable "results_dataset_id" {
  description = "BigQuery dataset the module creates for result tables. (Default: compute_results)"
  type        = string
  default     = "compute_results"
}

variable "bigquery_location" {
  description = "Location of the source dataset, e.g. EU or US; the results dataset's too unless results_location says otherwise."
  type        = string
}

variable "results_location" {
  description = "Location of the results dataset, when it differs from bigquery_location (written to warehouse.resultsLocation). (Default: bigquery_location)"
  type        = string
  default     = ""
}

variable "maximum_bytes_billed" {
  description = "Refuse any query that would bill more bytes than this (warehouse.maximumBytesBilled, sent with every query). (Default: null, no limit)"
  type        = number
  default     = null
  validation {
    condition     = var.maximum_bytes_billed == null ? true : var.maximum_bytes_billed >= 10485760 && floor(var.maximum_bytes_billed) == var.maximum_bytes_billed
    error_message = "maximum_bytes_billed must be a whole number of bytes, at least 10485760 (BigQuery bills at least 10 MB per query)."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database: a region (e.g. europe-west1) or a multi-region (eur3, nam5). It cannot change once the database exists. (Default: region)"
  type        = string
  default     = ""
}

variable "create_firestore_database" {
  description = "Create the Firestore database. Set false to use one that exists, e.g. the (default) database of a Firebase or App Engine project (infra/README.md says how to check it is in Native mode); creating one that exists fails with 409. (Default: true)"
  type        = bool
  default     = true
}

variable "state_history_days" {
  description = "Days runs, leases and batch ledgers stay in Firestore after their last write (a TTL policy deletes them; computation states follow each computation's ttlDays). (Default: 90)"
  type        = number
  default     = 90
}

variable "firestore_database_id" {
  description = "Firestore database the state lives in. (Default: (default))"
  type        = string
  default     = "(default)"
}

variable "blob_bucket_name" {
  description = "Cloud Storage bucket for batch contexts and results. (Default: PROJECT-PREFIX-blobs)"
  type        = string
  default     = ""
}

variable "blob_retention_days" {
  description = "Days before a blob left behind (a crashed run's) is deleted; finished computations delete their own. (Default: 7)"
  type        = number
  default     = 7
}

variable "planner_executor" {
  description = "Cloud Run settings of the planner+executor service. Requests hold a pass or a global computation open up to the timeout (at most 600s: the push ack deadline); concurrency lets one instance handle many events."
  type = object({
    cpu           = optional(string, "1")
    memory        = optional(string, "2Gi")
    concurrency   = optional(number, 40)
    min_instances = optional(number, 0)
    max_instances = optional(number, 3)
    timeout       = optional(string, "600s")
  })
  default = {}
  validation {
    condition     = can(regex("^[0-9]+s$", var.planner_executor.timeout)) ? tonumber(trimsuffix(var.planner_executor.timeout, "s")) >= 60 && tonumber(trimsuffix(var.planner_executor.timeout, "s")) <= 600 : false
    error_message = "planner_executor.timeout must be whole seconds from 60s to 600s: a push request cannot outlive its 600 s ack deadline."
  }
}

variable "worker" {
  description = "Cloud Run settings of the workers. A batch is CPU work: few requests per instance, many instances. max_instances x concurrency must hold every batch the executors send at once (executor_batches_in_flight)."
  type = object({
    cpu           = optional(string, "1")
    memory        = optional(string, "1Gi")
    concurrency   = optional(number, 2)
    min_instances = optional(number, 0)
    max_instances = optional(number, 100)
    timeout       = optional(string, "600s")
  })
  default = {}
  validation {
    condition     = can(regex("^[0-9]+s$", var.worker.timeout)) ? tonumber(trimsuffix(var.worker.timeout, "s")) >= 60 && tonumber(trimsuffix(var.worker.timeout, "s")) <= 600 : false
    error_message = "worker.timeout must be whole seconds from 60s to 600s: a push request cannot outlive its 600 s ack deadline."
  }
}

variable "results_spool_size" {
  description = "Size of the in-memory volume of the planner+executor service where a computation's results are spooled before their load job; it is part of planner_executor.memory. (Default: 512Mi)"
  type        = string
  default     = "512Mi"
}

variable "executor_batches_in_flight" {
  description = "Batches one executor instance may have out at once: the project's execution.computationConcurrency x maxInFlightBatches. The workers must hold planner_executor.max_instances times this. (Default: 64, from 4 x 16)"
  type        = number
  default     = 64
}

variable "extra_env" {
  description = "More environment for both services, e.g. COMPUTE_EXECUTION or COMPUTE_BATCH_SIZE."
  type        = map(string)
  default     = {}
}

variable "api_invokers" {
  description = "Members allowed to call the planner's management API (/api) with a Google ID token, e.g. [\"user:ana@example.com\"]."
  type        = list(string)
  default     = []
}

variable "delivery" {
  description = "How events reach the services: push (push subscriptions with OIDC tokens and dead letters) or eventarc (Eventarc triggers; their subscriptions are Eventarc's, so set dead letters on them yourself)."
  type        = string
  default     = "push"
  validation {
    condition     = contains(["push", "eventarc"], var.delivery)
    error_message = "delivery must be push or eventarc."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of a message before it goes to its dead-letter topic (5-100). (Default: 10)"
  type        = number
  default     = 10
}

variable "batch_max_delivery_attempts" {
  description = "Deliveries of a batch before it is dead-lettered (5-100): a burst beyond the workers' capacity answers 429, which counts as a failed delivery. (Default: 100)"
  type        = number
  default     = 100
  validation {
    condition     = var.batch_max_delivery_attempts >= 5 && var.batch_max_delivery_attempts <= 100
    error_message = "batch_max_delivery_attempts must be from 5 to 100 (Pub/Sub's bounds)."
  }
}

variable "retry_minimum_backoff" {
  description = "Shortest wait before a failed delivery is retried. (Default: 10s)"
  type        = string
  default     = "10s"
}

variable "retry_maximum_backoff" {
  description = "Longest wait between retries of a delivery. (Default: 600s)"
  type        = string
  default     = "600s"
}

variable "scheduled_runs" {
  description = "Scheduler jobs of the computations' schedules, keyed by HHMM: write them with `compute schedules --format tfvars > deploy/schedules.auto.tfvars.json`."
  type = map(object({
    cron        = string
    data        = string
    description = optional(string, "")
  }))
  default = {}
}

variable "sweep_schedule" {
  description = "Cron (UTC) of the watchdog job that drives on runs whose holder is gone. Empty: no sweep job. (Default: every 5 minutes)"
  type        = string
  default     = "*/5 * * * *"
}

variable "sweep_message" {
  description = "Body the sweep job publishes to the runs topic."
  type        = string
  default     = "{\"action\":\"sweep\"}"
}

variable "alert_notification_channels" {
  description = "Monitoring notification channel ids the alerts notify (besides the e-mail channel of alert_email)."
  type        = list(string)
  default     = []
}

variable "alert_email" {
  description = "An address for an e-mail notification channel the module creates. Empty: none."
  type        = string
  default     = ""
}

variable "enable_apis" {
  description = "Enable the Google APIs the module uses."
  type        = bool
  default     = true
}

variable "api_enable_wait" {
  description = "How long to wait after enabling the APIs before creating what uses them (enabling propagates for a while). (Default: 60s)"
  type        = string
  default     = "60s"
}

variable "log_metric_wait" {
  description = "How long to wait after creating the log-based metric before creating the alert policy on it: Monitoring may not know it for up to 10 minutes. (Default: 600s)"
  type        = string
  default     = "600s"
}

variable "deletion_protection" {
  description = "Protect the Cloud Run services and the Firestore database from terraform destroy."
  type        = bool
  default     = true
}
