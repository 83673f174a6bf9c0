#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (tests/it/postgres*.rs).
#
#   .ci/postgres.sh start DIR   install PostgreSQL 15 when absent (Debian
#                               packages), initdb in DIR as an unprivileged
#                               user, start it on a free port of 127.0.0.1
#                               and write DIR/env: the line
#                               TERRACE_TEST_DATABASE_URL=postgres://…
#                               A cluster already in DIR is started again
#                               (after a reboot) with its port and password.
#                               Run as root, the cluster belongs to the user
#                               postgres; a DIR it cannot reach (under /root)
#                               gets its server files in /tmp, linked from
#                               DIR/cluster.
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

# Where the server's files (data, log, socket) are: DIR, or the /tmp
# directory DIR/cluster links to.
home_of() {
  if [ -L "$1/cluster" ]; then readlink -f "$1/cluster"; else echo "$1"; fi
}
server_start() {
  run_as "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$home -c max_connections=200" start >/dev/null
}

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
  home=$(home_of "$dir")
  if [ -f "$home/data/PG_VERSION" ] && [ -f "$dir/env" ]; then
    port=$(sed -n 's/.*@127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$dir/env")
    if ! run_as "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
      server_start
    fi
    echo "PostgreSQL 15 on 127.0.0.1:$port (data in $home/data)" >&2
    exit 0
  fi
  if [ "$(id -u)" = 0 ]; then
    chown "$pg_user" "$dir"
    # A directory the cluster's user cannot reach (under /root, say):
    # the cluster lives in /tmp, linked from DIR/cluster.
    if ! runuser -u "$pg_user" -- test -w "$dir"; then
      home=$(mktemp -d /tmp/terrace-pg.XXXXXX)
      chown "$pg_user" "$home"
      ln -sfn "$home" "$dir/cluster"
    fi
  fi
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf '%s\n' "$password" >"$home/pwfile"
  [ "$(id -u)" = 0 ] && chown "$pg_user" "$home/pwfile"
  run_as "$bin/initdb" -D "$home/data" -U terrace --pwfile="$home/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  rm -f "$home/pwfile"
  # fsync stays on: the durability the tests prove is the real one.
  server_start
  echo "TERRACE_TEST_DATABASE_URL=postgres://terrace:$password@127.0.0.1:$port/postgres" >"$dir/env"
  chmod 600 "$dir/env"
  echo "PostgreSQL 15 on 127.0.0.1:$port (data in $home/data)" >&2
  ;;
stop)
  home=$(home_of "$dir")
  if [ -d "$home/data" ]; then
    run_as "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null || true
  fi
  ;;
*)
  echo "usage: .ci/postgres.sh start|stop DIR" >&2
  exit 2
  ;;
esac
