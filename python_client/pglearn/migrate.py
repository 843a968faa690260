"""Schema migrations (yoyo, db/migrations/) plus the idempotent re-apply of db/functions/ and db/jobs/.

yoyo's post-apply hook only runs when a migration was applied, so `migrate()` re-applies the
function and job files itself on every call.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations


def default_db_dir() -> Path:
    """db/ of the checkout this package is installed from, or $PGLEARN_DB_DIR."""
    env = os.environ.get("PGLEARN_DB_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "db"


def _yoyo_url(dsn: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix):]
    return dsn


def sql_files(db_dir: Path, sub: str) -> list[Path]:
    """The files of db/<sub>/ in apply order: stage folders in their numbered order (db/functions/00_config,
    10_log, ... 90_health: the pipeline), files by name within a stage; functions first, views (v_*) after
    all of them, since a view may read functions of a later stage."""
    base = db_dir / sub
    files = sorted(base.rglob("*.sql"), key=lambda f: f.relative_to(base).parts)
    return [f for f in files if not f.name.startswith("v_")] + [f for f in files if f.name.startswith("v_")]


# Views hold no data and CREATE OR REPLACE VIEW cannot change their columns: they are re-created.
DROP_VIEWS = """
DO $drop$
DECLARE v record;
BEGIN
    FOR v IN SELECT c.oid::regclass AS name FROM pg_class c
             WHERE c.relnamespace = to_regnamespace('learning') AND c.relkind = 'v' LOOP
        EXECUTE format('DROP VIEW IF EXISTS %s CASCADE', v.name);
    END LOOP;
END
$drop$
"""


def apply_sql_dir(dsn: str, db_dir: Path, sub: str) -> int:
    """Apply every file of db/<sub>/ in one transaction; returns the number of files."""
    files = sql_files(db_dir, sub)
    with psycopg.connect(dsn) as conn:
        conn.execute("SET LOCAL check_function_bodies = off")
        if sub == "functions":
            conn.execute(DROP_VIEWS)
        for f in files:
            try:
                conn.execute(f.read_text())
            except psycopg.Error as exc:
                raise RuntimeError(f"{f}: {exc}") from exc
    return len(files)


def migrate(dsn: str, db_dir: Path | None = None) -> dict:
    """Apply pending migrations, then re-apply db/functions/ and db/jobs/. Returns a summary."""
    db_dir = db_dir or default_db_dir()
    backend = get_backend(_yoyo_url(dsn))
    migrations = read_migrations(str(db_dir / "migrations"))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return {
        "migrations_applied": [m.id for m in pending],
        "function_files": apply_sql_dir(dsn, db_dir, "functions"),
        "job_files": apply_sql_dir(dsn, db_dir, "jobs"),
    }


def rollback(dsn: str, db_dir: Path | None = None, count: int | None = None) -> list[str]:
    """Roll back the last `count` applied migrations (all when None). Returns their ids."""
    db_dir = db_dir or default_db_dir()
    backend = get_backend(_yoyo_url(dsn))
    migrations = read_migrations(str(db_dir / "migrations"))
    with backend.lock():
        targets = backend.to_rollback(migrations)
        if count is not None:
            targets = targets[:count]
        backend.rollback_migrations(targets)
    return [m.id for m in targets]


def applied(dsn: str, db_dir: Path | None = None) -> list[str]:
    """Ids of the migrations applied to the database."""
    db_dir = db_dir or default_db_dir()
    backend = get_backend(_yoyo_url(dsn))
    migrations = read_migrations(str(db_dir / "migrations"))
    return [m.id for m in migrations if backend.is_applied(m)]
