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
  description = "Firestore location: a region (e.g. europe-west1) or a multi-region (eur3, nam5). It cannot change later. Empty: the region."
  default     = ""
}

variable "create_firestore_database" {
  type        = bool
  description = "Create the Firestore database. false: use one that exists (check it is in Native mode first; see infra/README.md of computation-system)."
  default     = true
}

variable "firestore_database_id" {
  type        = string
  description = "The Firestore database of the state: (default), or a named one, e.g. compute, when (default) is in Datastore mode."
  default     = "(default)"
}

variable "maximum_bytes_billed" {
  type        = number
  description = "Refuse any query that would bill more bytes than this. null: no limit."
  default     = null
}

variable "results_location" {
  type        = string
  description = "Location of the results dataset when it differs from bigquery_location. Empty: bigquery_location."
  default     = ""
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
