#!/usr/bin/env bash
# Regenerates Terraform's side of the stream and graph fixtures that
# tests/it/streams.rs compares terrace with:
#   create.jsonl   `terraform apply -json` of terraform/v1 on no state
#                  (count, for_each, create_before_destroy, an output)
#   update.jsonl   `terraform apply -json` of terraform/v2 on v1's state
#                  (refresh of existing objects, an in-place update, a
#                  create_before_destroy replacement leaving a deposed object)
#   fail.jsonl     `terraform apply -json` of terraform/fail (a postcondition
#                  that fails at apply)
#   errored.jsonl  `terraform apply -json` of terraform/errored (a create
#                  that fails: a diagnostic with the resource's address)
#   precondition.jsonl  `terraform plan -json` of terraform/precondition (a
#                  failed precondition: the values of its references)
#   invalid.jsonl  `terraform plan -json` of terraform/invalid (a reference
#                  to an undeclared resource: a diagnostic with a snippet)
#   graph.dot      `terraform graph` of terraform/v1
# The terrace counterpart is terrace/{v1,v2,fail,errored,precondition,invalid} (the module
# `main` being the configuration `main`).
# Run from anywhere; TERRAFORM overrides the binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tf="${TERRAFORM:-$here/../../../shared/tools/terraform}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
use() { rm -rf "$work/main" "$work/main.tf"; cp -r "$here/terraform/$1/." "$work/"; }
use v1
(cd "$work" && "$tf" init -no-color >/dev/null)
(cd "$work" && "$tf" graph > "$here/graph.dot")
(cd "$work" && "$tf" apply -auto-approve -json > "$here/create.jsonl")
use v2
(cd "$work" && "$tf" apply -auto-approve -json > "$here/update.jsonl")
rm -f "$work/terraform.tfstate" "$work/terraform.tfstate.backup"
use fail
(cd "$work" && "$tf" apply -auto-approve -json > "$here/fail.jsonl") || true
rm -f "$work/terraform.tfstate" "$work/terraform.tfstate.backup"
use errored
(cd "$work" && "$tf" apply -auto-approve -json > "$here/errored.jsonl") || true
rm -f "$work/terraform.tfstate" "$work/terraform.tfstate.backup"
use precondition
(cd "$work" && "$tf" plan -json > "$here/precondition.jsonl") || true
use invalid
(cd "$work" && "$tf" plan -json > "$here/invalid.jsonl") || true
