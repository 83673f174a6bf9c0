#!/usr/bin/env bash
# Regenerates Terraform's side of the paired fixtures that
# tests/it/consumers.rs feeds to checkov, terraform-compliance and Rego:
#   terraform/plan.json   `terraform show -json` of the plan from
#                         terraform/prior (applied) to terraform/next
#   terraform/state.json  `terraform show -json` of the state prior left
#   terraform/empty.json  `terraform show -json` with no state at all
#   terraform/applied.json  `terraform show -json` of the state after
#                         applying that plan (with `depends_on`)
# The terrace counterpart is terrace/{prior,next} (the same change set,
# the module `app` being the configuration `app`).
# Run from anywhere; TERRAFORM overrides the binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tf="${TERRAFORM:-$here/../../../shared/tools/terraform}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/terraform/prior/." "$work/"
(cd "$work" && "$tf" init -no-color >/dev/null && "$tf" show -json > "$here/terraform/empty.json")
(cd "$work" && "$tf" apply -auto-approve -no-color >/dev/null && "$tf" show -json > "$here/terraform/state.json")
rm -rf "$work/app" "$work/main.tf"
cp -r "$here/terraform/next/." "$work/"
(cd "$work" && "$tf" plan -no-color -out=p.bin >/dev/null && "$tf" show -json p.bin > "$here/terraform/plan.json")
(cd "$work" && "$tf" apply -auto-approve -no-color p.bin >/dev/null && "$tf" show -json > "$here/terraform/applied.json")
