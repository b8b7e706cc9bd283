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
  description = "Location of the results dataset; must match the source dataset's, e.g. EU or US."
  type        = string
}

variable "firestore_location" {
  description = "Location of the Firestore database, e.g. eur3 or nam5 (or a region)."
  type        = string
  default     = "eur3"
}

variable "create_firestore_database" {
  description = "Create the Firestore database; false uses one that exists (a project has one (default) database)."
  type        = bool
  default     = true
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
  description = "Cloud Run settings of the planner+executor service. Requests hold a pass or a global computation open up to the timeout; concurrency lets one instance handle many events."
  type = object({
    cpu           = optional(string, "1")
    memory        = optional(string, "1Gi")
    concurrency   = optional(number, 40)
    min_instances = optional(number, 0)
    max_instances = optional(number, 3)
    timeout       = optional(string, "600s")
  })
  default = {}
}

variable "worker" {
  description = "Cloud Run settings of the workers. A batch is CPU work: few requests per instance, many instances."
  type = object({
    cpu           = optional(string, "1")
    memory        = optional(string, "1Gi")
    concurrency   = optional(number, 2)
    min_instances = optional(number, 0)
    max_instances = optional(number, 20)
    timeout       = optional(string, "600s")
  })
  default = {}
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

variable "deletion_protection" {
  description = "Protect the Cloud Run services and the Firestore database from terraform destroy."
  type        = bool
  default     = true
}
