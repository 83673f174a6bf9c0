#!/usr/bin/env bash
# Load test of `terrace serve` on loopback. See bench/README.md ("Server load").
#
#   bench/serve_load.sh [--clients 200] [--seconds 30] [--resources 100] [--keep]
#
# Builds terrace (`cargo build --release`) unless TERRACE_BIN names a binary.
# With TERRACE_DATABASE_URL set, the server's and the project's records are
# in that PostgreSQL database (give it one of its own); else local files.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

for arg in "$@"; do
  case $arg in
    -h|--help) exec python3 "$here/serve_load.py" --bin /bin/true --help ;;
  esac
done

name=serve_load.sh
. "$here/binary.sh"

exec python3 "$here/serve_load.py" --bin "$bin" "$@"
