#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (tests/it/postgres*.rs).
#
#   .ci/postgres.sh start DIR   install PostgreSQL 15 when absent (Debian
#                               packages), initdb in DIR as an unprivileged
#                               user, start it on a free port of 127.0.0.1
#                               and write DIR/env: the line
#                               TERRACE_TEST_DATABASE_URL=postgres://…
#   .ci/postgres.sh stop DIR    stop it (DIR stays; remove it yourself)
#
# The superuser `terrace` has a random password (scram-sha-256 over TCP):
# the tests check that it never reaches output, records or logs.
set -euo pipefail

cmd=${1:?usage: .ci/postgres.sh start|stop DIR}
dir=${2:?usage: .ci/postgres.sh start|stop DIR}
bin=/usr/lib/postgresql/15/bin

# initdb refuses to run as root: the cluster belongs to an unprivileged user.
run_as() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$pg_user" -- "$@"
  else
    "$@"
  fi
}
pg_user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )

case "$cmd" in
start)
  if [ ! -x "$bin/initdb" ]; then
    echo "installing PostgreSQL 15 (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home postgres
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" = 0 ] && chown "$pg_user" "$dir"
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" = 0 ] && chown "$pg_user" "$dir/pwfile"
  run_as "$bin/initdb" -D "$dir/data" -U terrace --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  rm -f "$dir/pwfile"
  # fsync stays on: the durability the tests prove is the real one.
  run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" start >/dev/null
  echo "TERRACE_TEST_DATABASE_URL=postgres://terrace:$password@127.0.0.1:$port/postgres" >"$dir/env"
  chmod 600 "$dir/env"
  echo "PostgreSQL 15 on 127.0.0.1:$port (data in $dir/data)" >&2
  ;;
stop)
  if [ -d "$dir/data" ]; then
    run_as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  ;;
*)
  echo "usage: .ci/postgres.sh start|stop DIR" >&2
  exit 2
  ;;
esac
