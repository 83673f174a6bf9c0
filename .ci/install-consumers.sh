#!/usr/bin/env bash
# Installs the JSON-plan consumers the tests run (checkov,
# terraform-compliance, a Rego engine) into a virtual environment, by
# default target/consumers-venv (TERRACE_CONSUMERS_VENV overrides).
# Skips the install when the environment is there and was made from the
# same .ci/consumers-requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
req=.ci/consumers-requirements.txt
venv=${TERRACE_CONSUMERS_VENV:-target/consumers-venv}
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
  echo "consumers: $venv is up to date"
  exit 0
fi
type -P python3 >/dev/null || { echo "missing python3 (needed to install the consumers)" >&2; exit 1; }
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
for tool in checkov terraform-compliance; do
  [ -x "$venv/bin/$tool" ] || { echo "consumers: $tool was not installed into $venv" >&2; exit 1; }
done
"$venv/bin/python" -c 'import regopy' || { echo "consumers: regopy does not import" >&2; exit 1; }
echo "$want" > "$venv/.requirements.sha256"
echo "consumers: installed into $venv"
