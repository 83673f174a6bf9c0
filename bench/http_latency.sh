#!/usr/bin/env bash
# Latency benchmark for the http provider. See bench/README.md.
#
#   bench/http_latency.sh [--count 200] [--latency-ms 50] [--parallelism 10,50] [--repeat 3]
#
# Builds terrace (`cargo build --release`) unless TERRACE_BIN names a binary,
# then runs bench/http_latency.py. The table goes to stdout, progress to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

name=http_latency.sh
. "$here/binary.sh"

exec python3 "$here/http_latency.py" --bin "$bin" "$@"
