# Deploys this project to Google Cloud with the module that ships in the
# computation-system package (node_modules/computation-system/infra/terraform).
# Steps: the computation-system README, "Deploy to Google Cloud".

terraform {
  required_version = ">= 1.5"
  required_providers {
    # The version: the module's own constraint (its versions.tf), checked against the provider's schema.
    google = {
      source = "hashicorp/google"
    }
  }
  # Keep the state in a bucket so a team shares it:
  # backend "gcs" {
  #   bucket = "MY-PROJECT-terraform-state"
  #   prefix = "computation-system"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# The module makes the Pub/Sub service agent exist with a resource only google-beta has.
provider "google-beta" {
  project = var.project_id
  region  = var.region
}

module "compute" {
  source = "../node_modules/computation-system/infra/terraform"

  project_id         = var.project_id
  region             = var.region
  image              = var.image
  source_dataset_id  = var.source_dataset_id
  bigquery_location  = var.bigquery_location
  firestore_location = var.firestore_location
  # An existing (default) database (any Firebase or App Engine project): create_firestore_database = false.
  create_firestore_database = var.create_firestore_database
  firestore_database_id     = var.firestore_database_id
  maximum_bytes_billed      = var.maximum_bytes_billed
  results_location          = var.results_location
  api_invokers              = var.api_invokers
  alert_email               = var.alert_email
  # Written by `npm run schedules` (compute schedules --format tfvars) into schedules.auto.tfvars.json.
  scheduled_runs = var.scheduled_runs
}

output "planner_url" {
  value = module.compute.planner_url
}

output "runs_topic" {
  value = module.compute.runs_topic
}

output "dead_letter_subscriptions" {
  value = module.compute.dead_letter_subscriptions
}
