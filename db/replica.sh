#!/usr/bin/env bash
# db/replica.sh - a streaming hot standby of an embedded cluster (issue 16; docs/operations.md, "Scaling out").
#
#   db/replica.sh start   [dev|test]   base-backup the primary (db/cluster.sh's instance) if needed, start, print the DSN
#   db/replica.sh stop    [dev|test]   stop the standby
#   db/replica.sh destroy [dev|test]   stop it, drop its replication slot on the primary, remove its data
#   db/replica.sh dsn     [dev|test]   print the standby's DSN without starting anything
#   db/replica.sh promote [dev|test]   failover: make the standby a primary (pg_ctl promote)
#
# The primary must be running (db/cluster.sh start <instance>). The standby is a pg_basebackup copy of it with
# standby.signal and a primary_conninfo over the primary's Unix socket as the server's OS user (peer, the
# `local replication postgres peer map=pglearn` rule cluster.sh writes), streaming from a physical replication
# slot (pglearn_<instance>_replica) so the primary keeps the WAL it has not received yet. It listens on 127.0.0.1 at
# PGLEARN_REPLICA_PORT (default PGLEARN_PORT + 2 = 54331) with the primary's roles and password (a physical copy:
# the printed DSN is the primary's with the standby's port). Data lives in $PGLEARN_HOME/<instance>-replica.
# Same environment as db/cluster.sh: PGLEARN_HOME, PGLEARN_PORT, PGLEARN_DB; as root the server runs as `postgres`.
set -euo pipefail

cmd=${1:-start}
instance=${2:-dev}
me=replica.sh
# shellcheck source=db/cluster_env.sh
. "$(dirname "$0")/cluster_env.sh"
primary_port=$instance_port
port=${PGLEARN_REPLICA_PORT:-$((port_base + 2))}
primary_home=$base/$instance
home=$base/$instance-replica
data=$home/data
sock=$home/sock
slot=pglearn_${instance}_replica

find_server
running() { [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }
primary_psql() {
  as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$primary_home/sock" -p "$primary_port" -U postgres -d postgres "$@"
}
dsn() {
  echo "postgresql://postgres:$(cat "$primary_home/password")@127.0.0.1:$port/$dbname"
}

case "$cmd" in
  dsn) dsn ;;
  stop)
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2; else echo "replica.sh: standby not running" >&2; fi ;;
  promote)
    as_owner "$bindir/pg_ctl" -D "$data" -w promote >&2 ;;
  destroy)
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2; fi
    if [ -S "$primary_home/sock/.s.PGSQL.$primary_port" ]; then
      primary_psql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
    fi
    rm -rf "$home" ;;
  start)
    [ -S "$primary_home/sock/.s.PGSQL.$primary_port" ] \
      || { echo "replica.sh: the primary is not running (db/cluster.sh start $instance)" >&2; exit 1; }
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$home"
      mkdir -p "$home" "$sock"
      [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$home"
      chmod 700 "$home"
      primary_psql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
      # -R: standby.signal + primary_conninfo (the primary's socket, peer as the server's OS user); -C -S: the slot
      as_owner "$bindir/pg_basebackup" -h "$primary_home/sock" -p "$primary_port" -U postgres -D "$data" \
        -X stream -c fast -R -C -S "$slot" >"$home/basebackup.log" 2>&1 \
        || { cat "$home/basebackup.log" >&2; exit 1; }
      # a later line of postgresql.conf wins: the standby's own port, socket and pg_cron socket
      as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF
# --- pglearn hot standby of $instance (db/replica.sh) ---
port = $port
unix_socket_directories = '$sock'
cron.host = '$sock'
hot_standby = on
hot_standby_feedback = on
CONF
    fi
    if ! running; then
      as_owner "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 start >/dev/null \
        || { tail -20 "$home/server.log" >&2; exit 1; }
    fi
    dsn ;;
  *) echo "usage: replica.sh start|stop|destroy|dsn|promote [dev|test]" >&2; exit 2 ;;
esac
