#!/usr/bin/env bash
# terrace on local files against PostgreSQL, both in one run. See bench/README.md.
#
#   TERRACE_DATABASE_URL=postgres://… bench/backends.sh [--size 10000]
#       [--repeat 5] [--history 100] [--keep] [--workdir DIR] [--timeout S]
#
# Builds terrace (`cargo build --release`) unless TERRACE_BIN names a binary,
# then runs bench/backends.py, which creates the schema in the database
# (`terrace backend init`: nothing changes when it is there). The table goes to
# stdout, progress to stderr. Give it a database of its own: the figures
# include the server's work, and its records are removed at the end
# (`terrace delete-project`) unless --keep.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

for arg in "$@"; do
  case $arg in
    -h|--help) exec python3 "$here/backends.py" --bin /bin/true --help ;;
  esac
done
if [[ -z ${TERRACE_DATABASE_URL:-} ]]; then
  echo "backends.sh: set TERRACE_DATABASE_URL to the PostgreSQL database to use" >&2
  exit 2
fi

name=backends.sh
. "$here/binary.sh"

exec python3 "$here/backends.py" --bin "$bin" "$@"
