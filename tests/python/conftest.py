"""Shared pytest fixtures: the test database DSN and a per-test transaction that is rolled back."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from pglearn import Client

SEED_SCOPE = {
    "macro_phase": "Recover",
    "meso_phase": "Dip",
    "micro_phase": "Good",
    "bucket_leader": "micro",
    "bucket_rank_position": 1,
    "market_family": "lowcaps",
    "bucket": "micro",
    "timeframe": "1h",
    "A_mode": "normal",
    "E_mode": "aggressive",
}
SEED_CONTROLS = {
    "signals": {"TS": 0.65, "OX": 0.42, "DX": 0.78, "EDX": 0.15, "OBV_z": 1.2},
    "applied_knobs": {"entry_delay_bars": 1, "phase1_frac": 0.15, "trim_delay": 3, "trail_mult": 1.0, "min_ts_for_add": 0.5},
}
DATA_TABLES = (
    "action_log, completed_trades, pattern_scope_stats, learning_lessons, learning_regime_weights, "
    "learning_edge_history, learning_latent_factors, override_application, job_runs, phase_state, "
    "phase_state_bucket, token_cap_bucket, override_current, runtime_override, override_generation, "
    "synthetic_run, replay_run, replay_step, lesson_snapshot, override_score, latent_factor_linkage, "
    "lesson_candidate, lesson_epoch, "
    "scope_cube_base, scope_cube_frame, scope_fold_queue, scope_cube_code, "  # the cube's own state (issue 13)
    "alerts, "  # learning.evaluate_alerts' (issue 15)
    "override_decision_buffer, override_decision_counts"  # the decision telemetry (issue 14)
)


@pytest.fixture(scope="session")
def dsn() -> str:
    value = os.environ.get("PGLEARN_TEST_DSN") or os.environ.get("DATABASE_URL")
    if not value:
        pytest.fail("no test database: run through `make test` (sets PGLEARN_TEST_DSN)")
    return value


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + dbname))


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def private_cluster(name: str, **env_extra: str):
    """A cluster of the test's own (db/cluster.sh dev with its own PGLEARN_HOME under /var/tmp, a free loopback port
    and database `name`, plus env_extra), stopped and removed on exit, also on failure. Yields (dsn, env): the DSN of
    database `name` (the cluster's cron.database_name) and the environment that addresses this cluster with
    db/cluster.sh or db/replica.sh."""
    home = Path(tempfile.mkdtemp(prefix=f"pglearn-{name}-", dir="/var/tmp"))
    env = {**os.environ, "PGLEARN_HOME": str(home), "PGLEARN_PORT": str(free_port()), "PGLEARN_DB": name, **env_extra}
    env.pop("DATABASE_URL", None)
    cluster = [str(Path(__file__).resolve().parents[2] / "db" / "cluster.sh")]
    try:
        yield subprocess.run(cluster + ["start", "dev"], env=env, check=True, capture_output=True, text=True).stdout.strip(), env
    finally:
        subprocess.run(cluster + ["stop", "dev"], env=env, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def conn(dsn: str):
    """A connection inside a transaction that starts from empty data tables and is rolled back."""
    with psycopg.connect(dsn) as c:
        c.execute(f"TRUNCATE {', '.join('learning.' + t.strip() for t in DATA_TABLES.split(','))}")
        yield c
        c.rollback()


@pytest.fixture()
def client(conn) -> Client:
    return Client(conn=conn)


@pytest.fixture()
def scratch_dsn(dsn):
    """A new, empty database on the test server, dropped afterwards (for the CLI, which commits)."""
    name = f"pglearn_scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield with_dbname(dsn, name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
