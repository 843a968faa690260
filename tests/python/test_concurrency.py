"""Concurrency and crash (issue 11): PM clients while cycles run, one cycle at a time, a cycle killed mid-run.

Each test works on copies (CREATE DATABASE ... TEMPLATE) of one scratch database holding a small synthetic market
(600 trades, 4 weeks) after one learning cycle: a few seconds per cycle.
The kill is `pg_terminate_backend` of the cycle's backend (what an OOM kill or a lost client does to the
transaction). A real `kill -9` of a backend makes the postmaster restart every backend of the cluster, which would
break the other tests sharing it: the transaction outcome (rolled back, nothing half-written) is the same.
"""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pglearn.migrate import migrate
from pglearn.synthetic import generate

from conftest import with_dbname

AS_OF = "2026-02-03T00:00:00+00:00"  # after the last close of the synthetic market (2026-01-05 + 4 weeks)
AS_OF_NEXT = "2026-02-04T00:00:00+00:00"  # the next epoch
BASE = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.4}


def _name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


@pytest.fixture(scope="module")
def seeded(dsn):
    """A scratch database (as the `scratch_dsn` fixture makes, shared by this module's tests, which only copy it),
    migrated, with a synthetic market, a lenient FDR so a small history gives lessons, and one cycle as of AS_OF."""
    name = f"pglearn_scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = with_dbname(dsn, name)
    try:
        migrate(db)
        with psycopg.connect(db) as conn:
            generate(conn, trades=600, weeks=4, patterns=4, seed=11)
            conn.execute("""UPDATE learning.learning_configs
                            SET config = jsonb_set(jsonb_set(config, '{tunables,fdr_q}', '0.5'), '{tunables,edge_min}', '0.1')
                            WHERE config_key = 'pm_config'""")
        assert _cycle(db, AS_OF)["ok"]
        yield db
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture()
def copies(dsn):
    """Makes copies of a database (CREATE DATABASE ... TEMPLATE); drops them afterwards."""
    made = []

    def copy(source: str) -> str:
        name = f"pglearn_scratch_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE {name} TEMPLATE "{_name(source)}"')
        made.append(name)
        return with_dbname(source, name)

    yield copy
    with psycopg.connect(dsn, autocommit=True) as admin:
        for name in made:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _cycle(dsn: str, as_of: str | None = None) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if as_of is None:
            return conn.execute("SELECT learning.run_learning_cycle()").fetchone()[0]
        return conn.execute("SELECT learning.run_learning_cycle(%s)", (as_of,)).fetchone()[0]


LESSONS = """
SELECT pattern_key, action_category, scope_values::text, status, enabled, effect::text, round(lesson_strength::numeric, 9),
       decay_halflife_hours, latent_factor_id
FROM learning.learning_lessons ORDER BY 1, 2, 3"""
OVERRIDES = """
SELECT o.pattern_key, o.action_category, o.scope_values::text, round(o.lesson_strength::numeric, 9),
       round(o.decay_factor::numeric, 9), round(o.size_mult::numeric, 9), round(o.entry_aggression_mult::numeric, 9),
       round(o.exit_aggression_mult::numeric, 9), o.entry_delay_bars, o.signal_thresholds::text, o.latent_factor_id
FROM learning.runtime_override AS o JOIN learning.override_current AS c USING (generation) ORDER BY 1, 2, 3"""


def _learned(dsn: str) -> tuple[list, list]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(LESSONS).fetchall(), conn.execute(OVERRIDES).fetchall()


def test_clients_while_cycles_run(seeded, copies):
    """4 PM clients log, close and resolve while 3 cycles publish generations: no error, no torn read.
    The first two cycles start together: one runs, the other is skipped whole (one cycle at a time)."""
    db = copies(seeded)
    with psycopg.connect(db) as conn:
        samples = conn.execute("""SELECT DISTINCT ON (pattern_key, action_category) pattern_key, action_type, action_category,
                                         scope, controls
                                  FROM learning.action_log ORDER BY pattern_key, action_category, id""").fetchall()
        assert conn.execute(OVERRIDES).fetchall(), "the seeded market gives overrides"
        first_run = conn.execute("SELECT max(id) FROM learning.job_runs").fetchone()[0]
    done = threading.Event()
    errors: list[str] = []
    answers: dict[int, list[dict]] = {}
    cycles: list[dict] = []
    barrier = threading.Barrier(2)

    def client(no: int) -> None:
        seen = answers.setdefault(no, [])
        try:
            with psycopg.connect(db, autocommit=True) as conn:
                i = 0
                while not done.is_set() or i < 10:
                    key, action_type, category, scope, controls = samples[i % len(samples)]
                    pos = f"c{no}-{i}"
                    conn.execute("SELECT learning.log_action(%s, %s, %s, %s, %s)",
                                 (pos, key, action_type, Jsonb(scope), Jsonb(controls)))
                    res = conn.execute("SELECT learning.resolve_overrides(%s, %s, %s, %s, '{}')",
                                       (key, category, Jsonb(scope), Jsonb(BASE))).fetchone()[0]
                    seen.append(res)
                    conn.execute("SELECT learning.close_trade(%s, %s)", (pos, (i % 5) - 1.5))
                    i += 1
                    time.sleep(0.02)  # a PM's pace, not a benchmark: the cycles share the 2 cores
        except Exception as exc:  # noqa: BLE001 - every error counts
            errors.append(f"client {no}: {exc!r}")

    def cycle_together() -> None:
        try:
            with psycopg.connect(db, autocommit=True) as conn:
                barrier.wait()
                cycles.append(conn.execute("SELECT learning.run_learning_cycle()").fetchone()[0])
        except Exception as exc:  # noqa: BLE001
            errors.append(f"cycle: {exc!r}")

    def cycler() -> None:
        try:
            pair = [threading.Thread(target=cycle_together) for _ in range(2)]
            for t in pair:
                t.start()
            for t in pair:
                t.join()
            for _ in range(2):
                cycles.append(_cycle(db))
        except Exception as exc:  # noqa: BLE001
            errors.append(f"cycle: {exc!r}")
        finally:
            done.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=cycler))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    ran = [c for c in cycles if not c["skipped"]]
    skipped = [c for c in cycles if c["skipped"]]
    assert len(ran) == 3 and all(c["ok"] and len(c["jobs"]) == 8 for c in ran), [(c["ok"], c["reason"]) for c in cycles]
    assert len(skipped) == 1 and skipped[0]["ok"] is False and skipped[0]["jobs"] == [], skipped
    assert "running" in skipped[0]["reason"]

    with psycopg.connect(db) as conn:
        # the skipped cycle ran nothing: one row for it, one per stage of each cycle that ran
        assert conn.execute("""SELECT job, status, count(*) FROM learning.job_runs WHERE id > %s
                               GROUP BY job, status ORDER BY job, status""", (first_run,)).fetchall() == sorted(
            [(j, "ok", 3) for j in ("aggregate_pattern_scope_stats", "learn_regime_weights", "cluster_latent_factors",
                                    "build_lessons", "estimate_half_lives", "materialize_overrides", "evaluate_alerts",
                                    "fold_in_closes")]
            + [("run_learning_cycle", "skipped", 1)])
        gens = {g for (g,) in conn.execute("SELECT generation FROM learning.override_generation").fetchall()}
        rows = {(g, lesson): size for g, lesson, size in conn.execute(
            "SELECT generation, lesson_id, size_mult FROM learning.runtime_override").fetchall()}
        assert len(gens) == 4, "the seed's generation and one per cycle that ran"
        torn, total = [], 0
        for no, seen in answers.items():
            last = 0
            for res in seen:
                total += 1
                g = res["generation"]
                if g is None or g not in gens or g < last:
                    torn.append((no, "generation", g, last))
                    continue
                last = g
                strength = res["applied"]["strength"]
                if strength is not None:
                    size = rows.get((g, int(strength["lesson_id"])))
                    expected = None if size is None else max(0.0, min(1.0, BASE["position_size_frac"] * size))
                    if expected is None or abs(res["levers"]["position_size_frac"] - expected) > 1e-9:
                        torn.append((no, "levers", g, strength["lesson_id"]))
        assert total >= 40
        assert sum(1 for seen in answers.values() for res in seen if res["applied"]["strength"]) > 0
        assert torn == [], torn[:5]
        # everything the clients wrote is there
        assert conn.execute("SELECT count(*) FROM learning.completed_trades WHERE position_id LIKE 'c_-%'").fetchone()[0] == total


def test_killed_cycle_then_rerun_learns_the_same(seeded, copies):
    """A cycle whose backend is terminated mid-run leaves nothing half-done; a rerun learns what an uninterrupted run does."""
    reference, victim = copies(seeded), copies(seeded)
    assert _cycle(reference, AS_OF_NEXT)["ok"]
    expected = _learned(reference)
    assert expected[0] and expected[1], "the reference run learned lessons and overrides"
    before = _learned(victim)  # the seed's first epoch

    outcome: list[object] = []
    with psycopg.connect(victim, autocommit=True) as watcher:
        conn = psycopg.connect(victim, autocommit=True)
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]

        def run() -> None:
            try:
                outcome.append(conn.execute("SELECT learning.run_learning_cycle(%s)", (AS_OF_NEXT,)).fetchone()[0])
            except psycopg.OperationalError as exc:
                outcome.append(exc)

        t = threading.Thread(target=run)
        t.start()
        # kill it once a stage after the aggregation is under way (its 'running' row is committed at once through the
        # dblink loopback), or after 1.5 s where that row cannot be seen
        started, deadline = time.monotonic(), time.monotonic() + 60
        while time.monotonic() < deadline:
            stage = watcher.execute("""SELECT job FROM learning.job_runs WHERE status = 'running' AND pid = %s
                                       AND job <> 'aggregate_pattern_scope_stats' LIMIT 1""", (pid,)).fetchone()
            seen_any = watcher.execute("SELECT count(*) FROM learning.job_runs WHERE pid = %s", (pid,)).fetchone()[0]
            if stage or (not seen_any and time.monotonic() - started > 1.5):
                break
            time.sleep(0.05)
        assert watcher.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        t.join(timeout=60)
        conn.close()
        assert outcome and isinstance(outcome[0], psycopg.OperationalError), outcome
        # nothing of the killed cycle is visible: the transaction was rolled back whole
        assert _learned(victim) == before
        assert watcher.execute("SELECT count(*) FROM learning.override_generation").fetchone()[0] == 1

        rerun = _cycle(victim, AS_OF_NEXT)
        assert rerun["ok"], rerun
        assert _learned(victim) == expected
        # the killed run is on record (when its rows could be committed ahead of the work)
        killed = watcher.execute("SELECT status, error FROM learning.job_runs WHERE pid = %s", (pid,)).fetchall()
        assert all(status == "interrupted" for status, _ in killed), killed
        if stage:
            assert killed, "the interrupted stages are in job_runs"


def test_a_cycle_stops_at_its_first_failed_stage(conn):
    """A failed stage: the later ones are skipped (no lessons or generation from stale stats), the error is kept whole."""
    summary = conn.execute("SELECT learning.run_learning_cycle('infinity')").fetchone()[0]
    assert summary["ok"] is False and summary["skipped"] is False
    assert summary["reason"].startswith("aggregate_pattern_scope_stats failed: 22023")
    assert [(j["job"], j["status"]) for j in summary["jobs"]] == [
        ("aggregate_pattern_scope_stats", "failed"), ("learn_regime_weights", "skipped"),
        ("cluster_latent_factors", "skipped"), ("build_lessons", "skipped"), ("estimate_half_lives", "skipped"),
        ("materialize_overrides", "skipped"), ("evaluate_alerts", "skipped"), ("fold_in_closes", "skipped")]
    rows = conn.execute("SELECT job, status, error, sqlstate, hint, context FROM learning.job_runs ORDER BY id").fetchall()
    job, status, error, sqlstate, hint, context = rows[0]
    assert (job, status, sqlstate) == ("aggregate_pattern_scope_stats", "failed", "22023")
    assert error.startswith("22023: as_of must be a finite timestamp") and hint and "_check_as_of" in context
    assert {(r[1], r[2]) for r in rows[1:]} == {("skipped", "an earlier stage failed")}
    assert conn.execute("SELECT count(*) FROM learning.override_generation").fetchone()[0] == 0
    # the scheduled stages, run one by one, wait for a good aggregation too
    assert conn.execute("SELECT learning.run_job('build_lessons')").fetchone()[0]["error"] == "an earlier stage failed"
    assert conn.execute("SELECT learning.run_job('materialize_overrides')").fetchone()[0]["status"] == "skipped"
