terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source = "hashicorp/google"
      # Checked against the schema of 6.50.0 (test/e2e/terraform-module.test.ts).
      version = ">= 6.50, < 7.0"
    }
    # Only for google_project_service_identity (the Pub/Sub service agent), which google has not.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.50, < 7.0"
    }
    # time_sleep: waits Google needs between an API's enabling, or a log metric's creation, and their use.
    time = {
      source  = "hashicorp/time"
      version = ">= 0.13, < 1.0"
    }
  }
}
