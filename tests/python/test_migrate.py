"""Migrations: migrate -> rollback -> migrate again leaves the same schema; the CLI works end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from pglearn import migrate as mig

SNAPSHOT = """
SELECT 'column', c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'learning'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ':' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'learning'::regnamespace
UNION ALL
SELECT 'index', pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'learning'::regnamespace
UNION ALL
SELECT 'function', p.oid::regprocedure::text || ':' || p.provolatile::text || ':' || md5(p.prosrc)
FROM pg_proc p WHERE p.pronamespace = 'learning'::regnamespace
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || ':' || tgname FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'learning'::regnamespace AND NOT t.tgisinternal
ORDER BY 1, 2
"""


def snapshot(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT to_regnamespace('learning')").fetchone()[0] is None:
            return []
        return conn.execute(SNAPSHOT).fetchall()


def test_migrate_rollback_migrate_same_schema(scratch_dsn):
    first = mig.migrate(scratch_dsn)
    assert first["migrations_applied"], "a fresh database gets every migration"
    before = snapshot(scratch_dsn)
    assert any(kind == "function" and "log_action" in name for kind, name in before)

    again = mig.migrate(scratch_dsn)
    assert again["migrations_applied"] == [], "a second migrate applies nothing new"
    assert snapshot(scratch_dsn) == before, "re-applying db/functions is idempotent"

    rolled = mig.rollback(scratch_dsn)
    assert rolled == list(reversed(first["migrations_applied"]))
    assert snapshot(scratch_dsn) == []
    assert mig.applied(scratch_dsn) == []

    mig.migrate(scratch_dsn)
    assert snapshot(scratch_dsn) == before


def test_cli_migrate_and_status(scratch_dsn):
    env = {**os.environ, "DATABASE_URL": scratch_dsn}
    cli = [sys.executable, "-m", "pglearn.cli"]
    out = subprocess.run(cli + ["migrate"], env=env, check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["function_files"] > 0
    status = json.loads(subprocess.run(cli + ["status"], env=env, check=True, capture_output=True, text=True).stdout)
    assert status["schema_installed"] is True
    assert status["counts"]["action_log"] == 0
    assert status["migrations"] == mig.applied(scratch_dsn)
    bad = subprocess.run(cli + ["status"], env={k: v for k, v in env.items() if k not in ("DATABASE_URL", "PGLEARN_DSN")},
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "no database" in bad.stderr
