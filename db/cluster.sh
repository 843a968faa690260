#!/usr/bin/env bash
# db/cluster.sh - the embedded PostgreSQL 15 cluster pglearn runs on.
#
#   db/cluster.sh start [dev|test]   start (or reuse) the instance, print its DSN on stdout
#   db/cluster.sh stop  [dev|test]   stop it
#   db/cluster.sh dsn   [dev|test]   print the DSN without starting anything
#
# With DATABASE_URL set nothing is started: `start` and `dsn` print DATABASE_URL.
# As root the server runs as the `postgres` user; otherwise as the invoking user.
# Data lives outside the git tree in $PGLEARN_HOME (default /var/tmp/pglearn-<uid>-<checkout hash>/<instance>).
# The `test` instance listens on PGLEARN_PORT+1 so tests never touch the dev database.
set -euo pipefail

cmd=${1:-start}
instance=${2:-dev}
repo=$(cd "$(dirname "$0")/.." && pwd)
port_base=${PGLEARN_PORT:-54329}
case "$instance" in
  dev) port=$port_base ;;
  test) port=$((port_base + 1)) ;;
  *) echo "cluster.sh: unknown instance '$instance' (dev|test)" >&2; exit 2 ;;
esac
dbname=${PGLEARN_DB:-pglearn}
key=$(printf '%s' "$repo" | md5sum | cut -c1-8)
home=${PGLEARN_HOME:-/var/tmp/pglearn-$(id -u)-$key}/$instance
data=$home/data
sock=$home/sock
dsn="postgresql://postgres@127.0.0.1:$port/$dbname"

if [ -n "${DATABASE_URL:-}" ]; then
  case "$cmd" in
    start|dsn) echo "$DATABASE_URL"; exit 0 ;;
    stop) echo "cluster.sh: DATABASE_URL is set, no embedded cluster to stop" >&2; exit 0 ;;
  esac
fi

bindir=$(/usr/bin/pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pg_ctl" ] || bindir=/usr/lib/postgresql/15/bin
[ -x "$bindir/pg_ctl" ] || { echo "cluster.sh: PostgreSQL 15 server not found (apt-get install postgresql-15)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
  dsn) echo "$dsn" ;;
  stop)
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2; else echo "cluster.sh: $instance not running" >&2; fi ;;
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$home" "$sock"
      [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$home"
      # a root-owned parent must still be traversable by the server's user
      [ "$(id -u)" = 0 ] && chmod 755 "$(dirname "$home")"
      as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$home/initdb.log" 2>&1 \
        || { cat "$home/initdb.log" >&2; exit 1; }
      cat >>"$data/postgresql.conf" <<CONF
# --- pglearn embedded cluster ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$dbname'
cron.use_background_workers = off
max_connections = 50
shared_buffers = 512MB
work_mem = 128MB
maintenance_work_mem = 512MB
synchronous_commit = off
max_parallel_workers_per_gather = 2
jit = off
log_min_messages = warning
CONF
    fi
    if ! running; then
      as_owner "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 start >/dev/null \
        || { tail -20 "$home/server.log" >&2; exit 1; }
    fi
    psql_() { "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }
    if [ "$instance" = test ] && [ "${PGLEARN_FRESH:-0}" = 1 ]; then
      psql_ -d postgres -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >&2
    fi
    if [ -z "$(psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]; then
      psql_ -d postgres -c "CREATE DATABASE $dbname" >&2
    fi
    echo "$dsn" ;;
  *) echo "usage: cluster.sh start|stop|dsn [dev|test]" >&2; exit 2 ;;
esac
