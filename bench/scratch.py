"""A fresh, migrated scratch database beside the given one, for a benchmark run."""

from __future__ import annotations

import psycopg

from pglearn import migrate as mig


def scratch_database(dsn: str, name: str) -> str:
    """Drop and re-create database `name` on dsn's server, migrate it, return its DSN."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    scratch = dsn.rsplit("/", 1)[0] + "/" + name
    mig.migrate(scratch)
    return scratch


def drop_database(dsn: str, name: str) -> None:
    """Drop database `name` on dsn's server (if it exists)."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
