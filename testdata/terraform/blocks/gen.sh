#!/usr/bin/env bash
# Regenerates changes.json: Terraform's plan for main.tf over the state
# prior.tf leaves (moved, removed, import and replace_triggered_by on
# terraform_data). The terrace counterpart is testdata/plan/blocks.
# Run from the repository root; TERRAFORM overrides the binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tf="${TERRAFORM:-$here/../../../../shared/tools/terraform}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/prior.tf" "$work/main.tf"
(cd "$work" && "$tf" init -no-color >/dev/null && "$tf" apply -auto-approve -no-color >/dev/null)
cp "$here/main.tf" "$work/main.tf"
(cd "$work" && "$tf" plan -no-color -out=p.bin >/dev/null && "$tf" show -json p.bin) |
  python3 -c '
import json, sys
plan = json.load(sys.stdin)
out = []
for rc in plan["resource_changes"]:
    keep = {k: rc[k] for k in ("address", "previous_address", "action_reason") if k in rc}
    keep["actions"] = rc["change"]["actions"]
    if "importing" in rc["change"]:
        keep["importing"] = rc["change"]["importing"]
    out.append(keep)
json.dump(sorted(out, key=lambda r: r["address"]), sys.stdout, indent=2)
print()
' > "$here/changes.json"
