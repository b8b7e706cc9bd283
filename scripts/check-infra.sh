#!/usr/bin/env bash
# The checks of the deployment that can run without a Google Cloud project
# (infra/README.md, "First apply on a fresh project"): terraform fmt, the
# module against the providers' schemas, the resource checks of a first
# apply (APIs before use, the metric-to-alert wait, no dataset-wide IAM on
# the user's dataset, limits inside the service timeouts), and every
# Firestore query of the state store with the index it needs (the last one
# against the Firestore emulator of the Google Cloud CLI, skipped without it).
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CLI_CONFIG_FILE=/dev/null
echo "== terraform fmt -check"
terraform fmt -check -recursive -diff infra/terraform templates/project/deploy
echo "== provider schemas, first-apply resource checks, Firestore indexes"
npx vitest run \
  test/e2e/terraform-module.test.ts \
  test/e2e/terraform-fresh-project.test.ts \
  test/contract/firestore-indexes.test.ts
