"""A real crash (issue 11): `kill -9` of a cycle's backend, on a private throwaway cluster.

SIGKILL of a backend makes the postmaster end every backend and replay the WAL (crash recovery), so this runs on
a cluster of its own (db/cluster.sh with its own PGLEARN_HOME and port, stopped and removed afterwards) rather than
on the shared test cluster. It checks what the crash must not cost: a write acknowledged before the crash is
there after it (synchronous_commit = on), nothing of the killed cycle is visible, its job_runs rows say
'interrupted', and a rerun learns exactly what an uninterrupted run of the same cycle learns on a copy.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pglearn.migrate import migrate
from pglearn.synthetic import generate

from conftest import SEED_CONTROLS, SEED_SCOPE, with_dbname
from conftest import private_cluster as _private_cluster
from test_concurrency import LESSONS, OVERRIDES

AS_OF, AS_OF_NEXT = "2026-02-03T00:00:00+00:00", "2026-02-04T00:00:00+00:00"


@pytest.fixture(scope="module")
def private_cluster():
    """Its own cluster (password auth, synchronous_commit = on, as db/cluster.sh makes every cluster)."""
    with _private_cluster("crash") as (dsn, _env):
        # work in another database than cron.database_name, so that pg_cron schedules nothing in it
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("CREATE DATABASE crashdb")
        yield with_dbname(dsn, "crashdb")


def _learned(dsn: str) -> tuple[list, list]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(LESSONS).fetchall(), conn.execute(OVERRIDES).fetchall()


def _wait_for_recovery(dsn: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_kill_9_of_a_cycle_then_rerun(private_cluster):
    dsn = private_cluster
    migrate(dsn)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        generate(conn, trades=600, weeks=4, patterns=4, seed=11)
        conn.execute("""UPDATE learning.learning_configs
                        SET config = jsonb_set(jsonb_set(config, '{tunables,fdr_q}', '0.5'), '{tunables,edge_min}', '0.1')
                        WHERE config_key = 'pm_config'""")
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT learning.run_learning_cycle(%s)", (AS_OF,)).fetchone()[0]["ok"]
        # the uninterrupted reference: a copy of the database before the second cycle
        conn.execute('CREATE DATABASE reference TEMPLATE crashdb')
    reference = with_dbname(dsn, "reference")
    with psycopg.connect(reference, autocommit=True) as conn:
        assert conn.execute("SELECT learning.run_learning_cycle(%s)", (AS_OF_NEXT,)).fetchone()[0]["ok"]
    expected = _learned(reference)
    assert expected[0] and expected[1], "the reference run learned lessons and overrides"
    before = _learned(dsn)

    outcome: list[object] = []
    cycle = psycopg.connect(dsn, autocommit=True)
    pid = cycle.execute("SELECT pg_backend_pid()").fetchone()[0]

    def run() -> None:
        try:
            outcome.append(cycle.execute("SELECT learning.run_learning_cycle(%s)", (AS_OF_NEXT,)).fetchone()[0])
        except psycopg.OperationalError as exc:
            outcome.append(exc)

    with psycopg.connect(dsn, autocommit=True) as pm:
        t = threading.Thread(target=run)
        t.start()
        # kill -9 once the cycle is past its first stage (its 'running' rows are committed ahead of the work)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if pm.execute("""SELECT count(*) FROM learning.job_runs WHERE pid = %s AND status = 'running'
                             AND job <> 'aggregate_pattern_scope_stats'""", (pid,)).fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the cycle never got past its aggregation")
        # a write the PM got an acknowledgement for just before the crash (an open position: it teaches nothing);
        # with synchronous_commit off it would sit in the WAL buffers the crash restart throws away
        pm.execute("SELECT learning.log_action('ack-before-crash', 'pm.uptrend.S1.buy_flag', 'E1', %s, %s, %s)",
                   (Jsonb(SEED_SCOPE), Jsonb(SEED_CONTROLS), "2026-02-03T12:00:00+00:00"))
        os.kill(pid, signal.SIGKILL)
    t.join(timeout=60)
    cycle.close()
    assert outcome and isinstance(outcome[0], psycopg.OperationalError), outcome

    _wait_for_recovery(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM learning.action_log WHERE position_id = 'ack-before-crash'").fetchone()[0] == 1, \
            "an acknowledged write survives the crash"
        assert _learned(dsn) == before, "nothing of the killed cycle is visible"
        assert conn.execute("SELECT count(*) FROM learning.lesson_epoch WHERE as_of = %s", (AS_OF_NEXT,)).fetchone()[0] == 0
        rerun = conn.execute("SELECT learning.run_learning_cycle(%s)", (AS_OF_NEXT,)).fetchone()[0]
        assert rerun["ok"], rerun
        killed = conn.execute("SELECT DISTINCT status FROM learning.job_runs WHERE pid = %s", (pid,)).fetchall()
        assert killed == [("interrupted",)], killed
    assert _learned(dsn) == expected, "the rerun learns what an uninterrupted run learns"
