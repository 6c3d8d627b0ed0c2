#!/usr/bin/env bash
# A throw-away PostgreSQL cluster under var/pg-test for the test suite.
# Usage: pg-test.sh start|stop PORT
set -euo pipefail
cmd=${1:?start|stop}; port=${2:-54329}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/var/pg-test-$port"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

run_pg() {  # run a PostgreSQL binary as the cluster owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  bin=$(find_bin)
  if [ -z "$bin" ]; then
    if ! bash "$root/scripts/system-deps.sh" postgresql; then
      echo "!!! WARNING: PostgreSQL is not installed and cannot be installed here" >&2; exit 3
    fi
    bin=$(find_bin)
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system postgres; fi
  run_pg "$bin/pg_ctl" -D "$dir" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir" && chmod 700 "$dir"
  run_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  run_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  echo "PostgreSQL test cluster on 127.0.0.1:$port ($dir)"
  ;;
stop)
  bin=$(find_bin)
  [ -n "$bin" ] && [ -d "$dir" ] && run_pg "$bin/pg_ctl" -D "$dir" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
esac
