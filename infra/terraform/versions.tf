terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source = "hashicorp/google"
      # Checked against the schema of 6.50.0 (test/e2e/terraform-module.test.ts).
      version = ">= 6.50, < 7.0"
    }
  }
}
