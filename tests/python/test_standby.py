"""Hot standby reads (issue 16): a streaming standby of a private primary (db/cluster.sh + db/replica.sh, their own
PGLEARN_HOME and loopback ports, stopped and removed afterwards, also on failure).

A generation published on the primary is answered on the standby within a few seconds, through
Client(dsn, read_dsn=standby); the override it applies is recorded on the primary (record_override_application),
and the standby itself never takes a write.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from pglearn import Client
from pglearn.migrate import migrate
from pglearn.synthetic import generate

from conftest import free_port, private_cluster, with_dbname

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-02-03T00:00:00+00:00"
LAG_MAX_S = 5.0  # "within a few seconds"


@pytest.fixture(scope="module")
def primary_and_standby():
    replica = [str(REPO / "db" / "replica.sh")]
    with private_cluster("standby", PGLEARN_REPLICA_PORT=str(free_port())) as (dsn, env):
        try:
            with psycopg.connect(dsn, autocommit=True) as admin:  # not cron.database_name: pg_cron schedules nothing
                admin.execute("CREATE DATABASE standbydb")
            primary = with_dbname(dsn, "standbydb")
            migrate(primary)
            with psycopg.connect(primary) as conn:
                generate(conn, trades=600, weeks=4, patterns=4, seed=11)
                conn.execute("""UPDATE learning.learning_configs
                                SET config = jsonb_set(jsonb_set(config, '{tunables,fdr_q}', '0.5'), '{tunables,edge_min}', '0.1')
                                WHERE config_key = 'pm_config'""")
            out = subprocess.run(replica + ["start", "dev"], env=env, capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
            yield primary, with_dbname(out.stdout.strip(), "standbydb")
        finally:  # the standby (and its replication slot) before the cluster
            subprocess.run(replica + ["destroy", "dev"], env=env, capture_output=True)


def test_generation_on_standby_telemetry_on_primary(primary_and_standby):
    primary, standby = primary_and_standby
    with psycopg.connect(standby, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0], "the read server is a hot standby"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("SELECT learning.close_trade('pos0000000', 1.0)")
    with psycopg.connect(primary, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").fetchone()[0] == 1
        cycle = conn.execute("SELECT learning.run_learning_cycle(%s)", (AS_OF,)).fetchone()[0]
        assert {j["job"]: j["status"] for j in cycle["jobs"]}["materialize_overrides"] == "ok", cycle
        published = time.monotonic()
        gen = conn.execute("SELECT generation FROM learning.override_current").fetchone()[0]
        o = conn.execute("""SELECT o.pattern_key, o.action_category, o.scope_values, o.lesson_id
                            FROM learning.runtime_override AS o WHERE o.generation = %s
                            ORDER BY o.lesson_strength DESC, o.lesson_id LIMIT 1""", (gen,)).fetchone()
        assert o is not None, "the cycle published overrides"
        telemetry_before = conn.execute("SELECT count(*) FROM learning.override_application").fetchone()[0]
    pattern_key, category, scope_values, lesson_id = o
    # the override's own scope, completed from a logged action of the pattern (a full 10-dimension scope)
    with psycopg.connect(primary) as conn:
        scope = conn.execute("""SELECT a.scope FROM learning.action_log AS a
                                WHERE a.pattern_key = %s AND a.action_category = %s AND a.scope @> %s
                                ORDER BY a.id LIMIT 1""", (pattern_key, category, psycopg.types.json.Jsonb(scope_values))).fetchone()[0]
    levers = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}

    with Client(primary, read_dsn=standby) as pm:
        assert pm.read_conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        while True:
            decision = pm.resolve_overrides(pattern_key, category, scope, levers, {})
            lag = time.monotonic() - published
            if decision.generation == gen or lag > LAG_MAX_S:
                break
            time.sleep(0.05)
        assert decision.generation == gen, f"the standby answers generation {gen} within {LAG_MAX_S} s (lag {lag:.2f} s)"
        assert decision.applied and decision.strength["lesson_id"] == lesson_id
        assert decision.telemetry == "forwarded", "answered read-only by the standby, recorded on the primary"
        explained = pm.explain_override(pattern_key, category, scope)
        assert explained is not None

    with psycopg.connect(primary) as conn:
        rows = conn.execute("""SELECT generation, strength_lesson_id FROM learning.override_application
                               ORDER BY id DESC LIMIT 1""").fetchall()
        assert conn.execute("SELECT count(*) FROM learning.override_application").fetchone()[0] == telemetry_before + 1
        assert rows == [(gen, lesson_id)], "the telemetry of the standby's answer landed on the primary"
    print(f"standby answered generation {gen} {lag:.3f} s after it was published on the primary")
