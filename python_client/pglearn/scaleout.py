"""The sharded deployment of issue 16 (docs/operations.md, "Scaling out"): a PL/Proxy router database and a
power-of-two number of shard databases, each a full pglearn install.

deploy(router_dsn, shard_dsns) migrates every database (pglearn.migrate), applies db/scaleout/common/ to all,
db/scaleout/shard/ to the shards (shard i of n numbers its actions i + 1 + k * n: scaleout.shard_layout; the
learning jobs' pg_cron schedules are removed from them but the minute fold-in and the telemetry roll-up:
scaleout.shard_unschedule) and
db/scaleout/router/ to the router (whose learning.log_action, close_trade,
resolve_overrides and explain_override then route to the shards; its own learning jobs' schedules are removed too: it
learns through scaleout.run_learning_cycle, which runs each shard's per-pattern stages and the cross-pattern ones on
the router), and configures the router's PL/Proxy cluster (scaleout.set_shards). Run it again after every `pglearn migrate` of the router: migrate re-applies the local
functions the router replaces.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from .migrate import apply_sql_dir, default_db_dir, migrate


def conninfo(dsn: str) -> str:
    """A shard's libpq key=value connection string without its credentials (the router's user mapping holds them)."""
    parts = urlsplit(dsn)
    return f"host={parts.hostname} port={parts.port or 5432} dbname={parts.path.lstrip('/')}"


def credentials(dsn: str) -> tuple[str, str]:
    parts = urlsplit(dsn)
    return unquote(parts.username or ""), unquote(parts.password or "")


def deploy(router_dsn: str, shard_dsns: list[str], *, run_migrations: bool = True, db_dir: Path | None = None) -> int:
    """Set up (or refresh) the router and its shards; returns the number of shards. The router connects to every
    shard as the first shard DSN's user and password."""
    db_dir = db_dir or default_db_dir()
    for i, dsn in enumerate(shard_dsns):
        if run_migrations:
            migrate(dsn, db_dir)
        apply_sql_dir(dsn, db_dir, "scaleout/common")
        apply_sql_dir(dsn, db_dir, "scaleout/shard")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT scaleout.shard_layout(%s, %s), scaleout.shard_unschedule('shard')", (i, len(shard_dsns)))
    if run_migrations:
        migrate(router_dsn, db_dir)
    apply_sql_dir(router_dsn, db_dir, "scaleout/common")
    apply_sql_dir(router_dsn, db_dir, "scaleout/router")
    user, password = credentials(shard_dsns[0])
    with psycopg.connect(router_dsn, autocommit=True) as conn:
        conn.execute("SELECT scaleout.shard_unschedule('router')")  # the router learns through scaleout.run_learning_cycle only
        return conn.execute("SELECT scaleout.set_shards(%s, %s, %s)",
                            ([conninfo(d) for d in shard_dsns], user, password)).fetchone()[0]
