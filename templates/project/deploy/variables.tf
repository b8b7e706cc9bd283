variable "project_id" {
  type        = string
  description = "Google Cloud project to deploy to."
}

variable "region" {
  type        = string
  description = "Region of the services, e.g. europe-west1."
}

variable "image" {
  type        = string
  description = "The image built from this project's Dockerfile, e.g. europe-west1-docker.pkg.dev/PROJECT/compute/app:v1."
}

variable "source_dataset_id" {
  type        = string
  description = "BigQuery dataset the computations read."
}

variable "bigquery_location" {
  type        = string
  description = "Location of that dataset, e.g. EU."
}

variable "firestore_location" {
  type        = string
  description = "Firestore location, e.g. eur3 or nam5."
  default     = "eur3"
}

variable "api_invokers" {
  type        = list(string)
  description = "Who may call the management API, e.g. [\"user:you@example.com\"]."
  default     = []
}

variable "alert_email" {
  type        = string
  description = "Where alerts about failed computations and dead letters go. Empty: no e-mail channel."
  default     = ""
}

variable "scheduled_runs" {
  type = map(object({
    cron        = string
    data        = string
    description = optional(string, "")
  }))
  description = "Scheduler jobs from `npm run schedules`."
  default     = {}
}
