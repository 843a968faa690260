# db/cluster_env.sh - sourced by db/cluster.sh and db/replica.sh: the facts both need, written once.
#   in:  instance (dev|test) and me (the script's name, for messages), set by the caller
#   out: repo, port_base (PGLEARN_PORT, default 54329), instance_port (dev: port_base, test: port_base + 1),
#        dbname (PGLEARN_DB, default pglearn), base (PGLEARN_HOME, default /var/tmp/pglearn-<uid>-<checkout hash>:
#        one directory per checkout, so two clones never share a cluster), server_user;
#        find_server (sets bindir to PostgreSQL 15's binaries, or exits 1) and as_owner (runs a command as the
#        server's OS user: postgres when root, since Postgres refuses to run as root; else the invoking user).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port_base=${PGLEARN_PORT:-54329}
case "$instance" in
  dev) instance_port=$port_base ;;
  test) instance_port=$((port_base + 1)) ;;
  *) echo "$me: unknown instance '$instance' (dev|test)" >&2; exit 2 ;;
esac
dbname=${PGLEARN_DB:-pglearn}
base=${PGLEARN_HOME:-/var/tmp/pglearn-$(id -u)-$(printf '%s' "$repo" | md5sum | cut -c1-8)}
if [ "$(id -u)" = 0 ]; then server_user=postgres; else server_user=$(id -un); fi

find_server() {
  bindir=$(/usr/bin/pg_config --bindir 2>/dev/null || true)
  [ -x "$bindir/pg_ctl" ] || bindir=/usr/lib/postgresql/15/bin
  [ -x "$bindir/pg_ctl" ] || { echo "$me: PostgreSQL 15 server not found (apt-get install postgresql-15)" >&2; exit 1; }
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
