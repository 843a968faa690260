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
#
# Authentication (docs/operations.md): no trust rule. TCP (127.0.0.1 only) and the Unix socket take scram-sha-256;
# the server's own OS user may connect as `postgres` over the socket (peer, pg_ident map `pglearn`), which is how this
# script, pg_cron (cron.host = the socket) and run_job's dblink loopback connect. The superuser's password is generated
# at init and kept in <home>/password (mode 0600, outside the data directory); the printed DSN carries it, so it works
# as it is with psql, pg_prove, psycopg and pytest. A cluster initialised by an older cluster.sh (trust) is converted
# on its next start: password set, pg_hba.conf and pg_ident.conf rewritten, synchronous_commit = on, reloaded (and
# restarted once for cron.host when no client is connected; otherwise at its next restart).
set -euo pipefail

cmd=${1:-start}
instance=${2:-dev}
me=cluster.sh
# shellcheck source=db/cluster_env.sh
. "$(dirname "$0")/cluster_env.sh"
port=$instance_port
home=$base/$instance
data=$home/data
sock=$home/sock
pwfile=$home/password

dsn() {
  if [ -s "$pwfile" ]; then
    echo "postgresql://postgres:$(cat "$pwfile")@127.0.0.1:$port/$dbname"
  else
    echo "postgresql://postgres@127.0.0.1:$port/$dbname"
  fi
}

if [ -n "${DATABASE_URL:-}" ]; then
  case "$cmd" in
    start|dsn) echo "$DATABASE_URL"; exit 0 ;;
    stop) echo "cluster.sh: DATABASE_URL is set, no embedded cluster to stop" >&2; exit 0 ;;
  esac
fi

find_server

running() { [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }
# as the superuser, over the socket (peer authentication through the pglearn map; trust on a not yet converted cluster)
psql_() { as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres "$@"; }

new_password() {
  ( umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$pwfile" )
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pwfile"
  chmod 600 "$pwfile"
}

# pg_hba.conf / pg_ident.conf: no trust rule, replication included
write_auth() {
  as_owner tee "$data/pg_hba.conf" >/dev/null <<HBA
# pglearn embedded cluster (db/cluster.sh): no trust rule. See docs/operations.md, "Authentication".
# TYPE  DATABASE     USER      ADDRESS          METHOD
local   all          postgres                   peer map=pglearn
local   replication  postgres                   peer map=pglearn
local   all          all                        scram-sha-256
local   replication  all                        scram-sha-256
host    all          all       127.0.0.1/32     scram-sha-256
host    replication  all       127.0.0.1/32     scram-sha-256
HBA
  as_owner tee "$data/pg_ident.conf" >/dev/null <<IDENT
# pglearn embedded cluster: the server's OS user may connect as postgres over the socket (peer).
# MAPNAME  SYSTEM-USERNAME  PG-USERNAME
pglearn    $server_user     postgres
IDENT
}

# settings added after the first release of this script (a later line of postgresql.conf wins)
conf_v2() {
  cat <<CONF
# --- pglearn: authentication and durability (issue 11) ---
password_encryption = scram-sha-256
synchronous_commit = on
cron.host = '$sock'
CONF
}

case "$cmd" in
  dsn) dsn ;;
  stop)
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2; else echo "cluster.sh: $instance not running" >&2; fi ;;
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$home" "$sock"
      [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$home"
      # a root-owned parent must still be traversable by the server's user
      [ "$(id -u)" = 0 ] && chmod 755 "$(dirname "$home")"
      chmod 700 "$home"
      new_password
      as_owner "$bindir/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$pwfile" \
        -E UTF8 --no-locale >"$home/initdb.log" 2>&1 \
        || { cat "$home/initdb.log" >&2; exit 1; }
      write_auth
      as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF
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
max_parallel_workers_per_gather = 2
jit = off
log_min_messages = warning
$(conf_v2)
CONF
    fi
    if ! running; then
      as_owner "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 start >/dev/null \
        || { tail -20 "$home/server.log" >&2; exit 1; }
    fi
    # a cluster initialised with trust by an older cluster.sh: password, no trust rule, synchronous_commit = on
    if [ ! -s "$pwfile" ] || grep -Eq '^[^#]*[[:space:]]trust([[:space:]]|$)' "$data/pg_hba.conf" \
        || ! grep -q '^# --- pglearn: authentication and durability' "$data/postgresql.conf"; then
      echo "cluster.sh: converting $instance to password authentication (scram-sha-256) and synchronous_commit = on" >&2
      [ -s "$pwfile" ] || new_password
      chmod 700 "$home"
      psql_ -d postgres -f - >/dev/null <<SQL
SET password_encryption = 'scram-sha-256';
ALTER ROLE postgres PASSWORD '$(cat "$pwfile")';
SQL
      as_owner sed -i -e 's/^synchronous_commit = off$/synchronous_commit = on/' "$data/postgresql.conf"
      grep -q '^# --- pglearn: authentication and durability' "$data/postgresql.conf" \
        || conf_v2 | as_owner tee -a "$data/postgresql.conf" >/dev/null
      write_auth
      as_owner "$bindir/pg_ctl" -D "$data" reload >/dev/null
      sleep 1
      # cron.host needs a restart: done now only when nobody else is connected
      others=$(psql_ -d postgres -tAc "SELECT count(*) FROM pg_stat_activity
                                       WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
      if [ "$others" = 0 ]; then
        as_owner "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -m fast -w -t 60 restart >/dev/null \
          || { tail -20 "$home/server.log" >&2; exit 1; }
      else
        echo "cluster.sh: $others client(s) connected: pg_cron connects over the socket from the next restart" \
             "(db/cluster.sh stop $instance; db/cluster.sh start $instance)" >&2
      fi
    fi
    if [ "$instance" = test ] && [ "${PGLEARN_FRESH:-0}" = 1 ]; then
      psql_ -d postgres -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >&2
    fi
    if [ -z "$(psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]; then
      psql_ -d postgres -c "CREATE DATABASE $dbname" >&2
    fi
    dsn ;;
  *) echo "usage: cluster.sh start|stop|dsn [dev|test]" >&2; exit 2 ;;
esac
