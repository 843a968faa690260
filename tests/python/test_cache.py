"""pglearn.OverrideCache (issue 14): the SQL function's answers in process, hot reload, batched telemetry.

The cache works on its own connections, so these tests commit their overrides (patterns pm.cachetest.*) and
remove them, their generations' telemetry and the flags they set afterwards.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from conftest import SEED_SCOPE
from pglearn import InvalidValue, OverrideCache

PREFIX = "pm.cachetest."
# (pattern, category, scope, size_mult, strength, execution levers)
LESSONS = [
    ("pm.cachetest.a", "entry", {}, 1.2, 0.8, {"entry_delay_bars": 2, "signal_thresholds": {"min_ts_for_add": 0.6}}),
    ("pm.cachetest.a", "entry", {"bucket": "micro"}, 0.8, 0.9, {"phase1_frac_mult": 0.5, "trim_delay_mult": 2.0}),
    ("pm.cachetest.a", "entry", {"bucket": "nano"}, 1.1, 0.5, {}),
    ("pm.cachetest.a", "entry", {"bucket": "micro", "bucket_rank_position": 1}, 1.3, 0.6,
     {"trail_mult": 1.5, "panic_trigger_mult": 0.8}),
    ("pm.cachetest.a", "entry", {"bucket": "micro", "timeframe": "1h"}, 0.7, 0.6, {}),
    ("pm.cachetest.a", "entry", {"macro_phase": "Recover", "bucket_rank_position": 2}, 1.05, 1.0, {"entry_delay_bars": 1}),
    ("pm.cachetest.a", "exit", {"timeframe": "4h"}, 0.9, 0.7, {}),
    ("pm.cachetest.b", "entry", {"macro_phase": "Dip"}, 1.25, 1.0, {"trim_delay_mult": 0.5}),
    ("pm.cachetest.b", "add", {}, 0.75, 0.4, {}),
]
BASE = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}
CONTROLS = {"entry_delay_bars": 0, "phase1_frac": 0.2, "trim_delay": 3, "trail_speed": 1.0, "panic_trigger": 2.0}


def _flags(conn, **flags) -> None:
    for key, value in flags.items():
        conn.execute("UPDATE learning.learning_configs SET config = jsonb_set(config, ARRAY['feature_flags', %s], %s)"
                     " WHERE config_key = 'pm_config'", (key, Jsonb(value)))


def _current(conn) -> int:
    return conn.execute("SELECT generation FROM learning.override_current").fetchone()[0]


@pytest.fixture()
def published(dsn):
    """The lessons above committed and materialized; everything removed again afterwards."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DELETE FROM learning.learning_lessons WHERE pattern_key LIKE %s", (PREFIX + "%",))
        for pattern, category, scope, size, strength, execution in LESSONS:
            c.execute(
                "INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims,"
                " scope_values, effect, n, lesson_strength, decay_halflife_hours, last_epoch, last_confirmed_at)"
                " SELECT %(p)s, %(c)s, (SELECT coalesce(sum(1 << d.bit), 0) FROM learning.scope_dimension AS d"
                "                       WHERE d.namespace = 'pm' AND %(s)s ? d.dim_name),"
                " md5(%(s)s::text), ARRAY(SELECT jsonb_object_keys(%(s)s)), %(s)s,"
                " jsonb_build_object('capital_levers', jsonb_build_object('size_mult', %(size)s::float,"
                "   'entry_aggression_mult', 1.1, 'exit_aggression_mult', 0.9),"
                "   'execution_levers', '{\"signal_thresholds\": {}}'::jsonb || %(x)s), 100, %(st)s, 720, now(), now()",
                {"p": pattern, "c": category, "s": Jsonb(scope), "size": size, "x": Jsonb(execution), "st": strength})
        c.execute("SELECT learning.materialize_overrides(now())")
        first = _current(c)
        try:
            yield c
        finally:
            c.execute("DELETE FROM learning.override_decision_buffer WHERE generation >= %s", (first,))
            c.execute("DELETE FROM learning.override_decision_counts WHERE generation >= %s", (first,))
            c.execute("DELETE FROM learning.learning_lessons WHERE pattern_key LIKE %s", (PREFIX + "%",))
            _flags(c, learning_overrides_mode="apply", learning_overrides_mode_by_pattern={},
                   learning_overrides_enabled_regimes=[], learning_overrides_enabled_buckets=[])
            c.execute("SELECT learning.materialize_overrides(now())")


def _wait(predicate, seconds: float) -> float:
    t = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t > seconds:
            break
        time.sleep(0.005)
    return time.perf_counter() - t


NUMS = st.sampled_from([0, 0.0, 0.1, 0.5, 0.95, 1, 1.0, 0.3333333333333333, 1e-9])
SCOPE_VALUES = {
    "macro_phase": st.sampled_from(["Recover", "Dip", "Good"]),
    "bucket": st.sampled_from(["micro", "nano", "mid", None, 3]),
    "timeframe": st.sampled_from(["1h", "4h"]),
    "bucket_rank_position": st.sampled_from([1, 2, 3, "1", "2", "0002", 1.0, 2.0, True, 0, 1.5, 2_000_000, "12345678", "x", None, [1]]),
    "micro_phase": st.sampled_from(["Good", "Dip"]),
}
CASES = st.tuples(
    st.sampled_from(["pm.cachetest.a", "pm.cachetest.a", "pm.cachetest.b", "pm.cachetest.none", "bad key", "dm.cachetest.a"]),
    st.sampled_from(["entry", "entry", "exit", "add", "hold"]),
    st.fixed_dictionaries({}, optional=SCOPE_VALUES),
    st.fixed_dictionaries({"A_value": NUMS, "position_size_frac": NUMS},
                          optional={"other": st.just("kept"),
                                    "E_value": st.one_of(NUMS, NUMS, NUMS, st.sampled_from([1.5, -0.1, "x", None, True]))}),
    st.fixed_dictionaries({}, optional={"entry_delay_bars": st.sampled_from([0, 3]), "phase1_frac": NUMS,
                                        "trim_delay": st.sampled_from([3, 0.5, -2]), "trail_speed": NUMS,
                                        "panic_trigger": st.sampled_from([2.0, -1.0, 0]), "min_ts_for_add": NUMS,
                                        "trail_mult": st.just("ignored"), "min_ox_for_trim": st.sampled_from([0.4, "x", 2e6])}),
)


def _sql(conn, case):
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            doc = conn.execute("SELECT resolve_overrides(%s, %s, %s, %s, %s)",
                               (case[0], case[1], *map(Jsonb, case[2:]))).fetchone()[0]
    except psycopg.errors.InvalidParameterValue:
        return "22023"
    doc.pop("telemetry")
    return doc


def _cached(cache, case):
    try:
        doc = dict(cache.resolve(*case))
    except InvalidValue:
        return "22023"
    doc.pop("telemetry")
    return doc


def test_cache_answers_as_sql(published, dsn):
    """Property: for random scopes, levers and controls (valid and not), flags and modes, the cache gives the
    document `SELECT resolve_overrides(...)` gives (but "telemetry"), or 22023 where it raises 22023."""
    _flags(published, learning_overrides_mode_by_pattern={"pm.cachetest.b": "shadow"})
    with psycopg.connect(dsn, autocommit=True) as sql, OverrideCache(dsn, telemetry=False) as cache:
        assert cache.generation == _current(published)

        @settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        @given(CASES)
        def same(case):
            assert _cached(cache, case) == _sql(sql, case), case

        same()
        # and every lesson at its own scope with levers and controls at the clamps' edges
        for pattern, category, scope, *_ in LESSONS:
            for base in (BASE, {"A_value": 1, "E_value": 0.99, "position_size_frac": 0.95}, {"A_value": 0, "E_value": 0.0, "position_size_frac": 1.0}):
                for controls in (CONTROLS, {"trim_delay": -2, "trail_speed": -1, "phase1_frac": 0.9, "panic_trigger": -1.5,
                                            "entry_delay_bars": 3, "min_ts_for_add": 0.1}, {}):
                    case = (pattern, category, scope, base, controls)
                    assert _cached(cache, case) == _sql(sql, case), case
        # the regime and bucket gates, loaded by a reload
        _flags(published, learning_overrides_enabled_regimes=["Recover"], learning_overrides_enabled_buckets=["micro"])
        cache.reload()
        for scope in ({**SEED_SCOPE}, {**SEED_SCOPE, "macro_phase": "Dip", "meso_phase": "Good", "micro_phase": "Dip"},
                      {**SEED_SCOPE, "bucket": "nano"}):
            case = ("pm.cachetest.a", "entry", scope, BASE, CONTROLS)
            assert _cached(cache, case) == _sql(sql, case)


# the same pools as plain lists, for the 10,000-case run below (a seeded random draw: hypothesis would spend minutes
# shrinking and replaying); with more wrong shapes: arrays, objects, NULLs where numbers belong
_NUM_POOL = [0, 0.0, 0.1, 0.5, 0.95, 1, 1.0, 0.3333333333333333, 1e-9]
_SCOPE_POOL = {
    "macro_phase": ["Recover", "Dip", "Good"], "meso_phase": ["Dip", "Good", "Recover"], "micro_phase": ["Good", "Dip"],
    "bucket": ["micro", "nano", "mid", None, 3, True], "timeframe": ["1h", "4h"],
    "bucket_rank_position": [1, 2, 3, "1", "2", "0002", 1.0, 2.0, True, False, 0, 1.5, 2_000_000, "12345678", "x", None, [1], {"a": 1}],
}
_BAD_LEVERS = [1.5, -0.1, "x", None, True, [0.5], {"v": 0.5}]
_CONTROL_POOL = {"entry_delay_bars": [0, 3], "phase1_frac": _NUM_POOL, "trim_delay": [3, 0.5, -2], "trail_speed": _NUM_POOL,
                 "panic_trigger": [2.0, -1.0, 0], "min_ts_for_add": _NUM_POOL + [[0.5]], "trail_mult": ["ignored"],
                 "min_ox_for_trim": [0.4, "x", 2e6, None]}


def _random_case(rng):
    pattern = rng.choice(["pm.cachetest.a"] * 4 + ["pm.cachetest.b"] * 2 + ["pm.cachetest.none", "bad key", "dm.cachetest.a"])
    category = rng.choice(["entry"] * 4 + ["exit", "add", "hold"])
    scope = {k: rng.choice(v) for k, v in _SCOPE_POOL.items() if rng.random() < 0.6}
    base = {"A_value": rng.choice(_NUM_POOL), "E_value": rng.choice(_NUM_POOL), "position_size_frac": rng.choice(_NUM_POOL)}
    if rng.random() < 0.08:
        base[rng.choice(sorted(base))] = rng.choice(_BAD_LEVERS)
    if rng.random() < 0.03:
        del base[rng.choice(sorted(base))]
    if rng.random() < 0.3:
        base["other"] = "kept"
    controls = {k: rng.choice(v) for k, v in _CONTROL_POOL.items() if rng.random() < 0.4}
    shape = rng.random()
    if shape < 0.01:
        scope = [scope]
    elif shape < 0.02:
        base = [base]
    elif shape < 0.03:
        controls = [controls]
    return pattern, category, scope, base, controls


def test_cache_answers_as_sql_on_10000_random_cases(published, dsn):
    """The property on 10,000 seeded random cases, valid and invalid (a good share raise 22023), in apply mode, with
    pattern b in shadow mode, and with the regime and bucket gates on: the cache answers as SQL on every one."""
    import random

    rng = random.Random(20261129)
    counts = {"same": 0, "22023": 0, "matched": 0}
    with psycopg.connect(dsn, autocommit=True) as sql, OverrideCache(dsn, telemetry=False) as cache:
        for phase, flags, n in (("plain", {}, 6000),
                                ("shadow b", {"learning_overrides_mode_by_pattern": {"pm.cachetest.b": "shadow"}}, 2000),
                                ("gates", {"learning_overrides_mode_by_pattern": {},
                                           "learning_overrides_enabled_regimes": ["Recover", "Good"],
                                           "learning_overrides_enabled_buckets": ["micro"]}, 2000)):
            _flags(published, **flags)
            cache.reload()
            for _ in range(n):
                case = _random_case(rng)
                mine, theirs = _cached(cache, case), _sql(sql, case)
                assert mine == theirs, (phase, case)
                counts["same"] += 1
                counts["22023"] += mine == "22023"
                counts["matched"] += mine != "22023" and mine["applied"]["strength"] is not None
    assert counts["same"] == 10_000
    # the draw exercises both paths: many errors, many applied overrides
    assert counts["22023"] > 1000 and counts["matched"] > 1000, counts


def test_hot_reload_on_publish_and_rollback(published, dsn):
    """LISTEN pglearn_overrides: a new generation, and a rollback, reach the cache within 1 s of the commit."""
    with OverrideCache(dsn, telemetry=False, poll_interval=30) as cache:  # polling too slow to be what reloads it
        old = cache.generation
        published.execute("SELECT learning.materialize_overrides(now())")
        new = _current(published)
        assert _wait(lambda: cache.generation == new, 1.0) < 1.0
        assert cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)["generation"] == new
        assert published.execute("SELECT learning.rollback_overrides()").fetchone()[0] == old
        assert _wait(lambda: cache.generation == old, 1.0) < 1.0


def test_notify_payload(published, dsn):
    """Publishing and rolling back send NOTIFY pglearn_overrides '<generation>' at commit; a rolled-back publish sends nothing."""
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN pglearn_overrides")
        with published.transaction(force_rollback=True):
            published.execute("SELECT learning.materialize_overrides(now())")
        assert list(listener.notifies(timeout=0.3)) == []
        published.execute("SELECT learning.materialize_overrides(now())")
        assert [n.payload for n in listener.notifies(timeout=2, stop_after=1)] == [str(_current(published))]
        back = published.execute("SELECT learning.rollback_overrides()").fetchone()[0]
        assert [n.payload for n in listener.notifies(timeout=2, stop_after=1)] == [str(back)]


def test_polling_only_as_on_a_standby(published, dsn):
    """Without LISTEN (a hot standby's DSN) polling finds a new generation and new flags (shadow mode) within its interval."""
    with OverrideCache(None, read_dsn=dsn, poll_interval=0.2) as cache:
        published.execute("SELECT learning.materialize_overrides(now())")
        new = _current(published)
        assert _wait(lambda: cache.generation == new, 1.0) < 1.0
        _flags(published, learning_overrides_mode="shadow")
        assert _wait(lambda: cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)["mode"] == "shadow", 1.0) < 1.0
        out = cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)
        assert out["levers"] == BASE and out["controls"] == CONTROLS and out["shadow"]["levers"] != BASE
        assert out["telemetry"] == "off"


def test_telemetry_batches_and_clean_close(published, dsn):
    """Counters per (hour, generation, lesson, mode) reach override_decision_counts in batches; close() flushes the rest."""
    gen = _current(published)
    with OverrideCache(dsn, flush_interval=60) as cache:
        for _ in range(250):
            assert cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)["telemetry"] == "batched"
        for _ in range(50):
            cache.resolve("pm.cachetest.none", "entry", SEED_SCOPE, BASE, CONTROLS)  # no match: nothing to count
        assert cache.flush() == 250
        _flags(published, learning_overrides_mode="shadow")
        cache.reload()
        for _ in range(7):
            cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)
    rows = published.execute("SELECT mode, sum(decisions)::int, sum(execution_decisions)::int FROM learning.override_decision_counts"
                             " WHERE generation = %s AND source = 'cache' GROUP BY mode ORDER BY mode", (gen,)).fetchall()
    assert rows == [("apply", 250, 250), ("shadow", 7, 7)]


def test_telemetry_counts_each_decision_to_its_hour(published, dsn):
    """The counters of the deque are counted to the hour the thread is in when it counts them, which moves on at the
    turn of the hour: decisions made before the turn land in the hour that ended, those after it in the new one."""
    gen = _current(published)
    with OverrideCache(dsn, flush_interval=60) as cache:
        cache._stop.set()  # the thread would count at once (its hour has ended): this test counts by hand
        cache._thread.join()
        now_hour = int(time.time()) // 3600
        cache._hour = now_hour - 1  # as if these decisions were made before the turn of the hour
        for _ in range(5):
            cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)
        assert cache.flush() == 5
        new_hour = cache._hour  # counting moved the clock on (to now_hour, or later if the hour turned meanwhile)
        assert new_hour >= now_hour
        for _ in range(3):
            cache.resolve("pm.cachetest.a", "entry", SEED_SCOPE, BASE, CONTROLS)
    rows = published.execute(
        "SELECT (extract(epoch FROM hour) / 3600)::bigint, sum(decisions)::int FROM learning.override_decision_counts"
        " WHERE generation = %s AND source = 'cache' GROUP BY 1 ORDER BY 1", (gen,)).fetchall()
    assert rows == [(now_hour - 1, 5), (new_hour, 3)]
