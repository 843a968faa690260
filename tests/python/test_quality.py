"""pglearn.quality.measure on a tiny hand-built database state: recall, FDR, lever direction, half-life, the signed
out-of-sample excess and the resolve share, checked exactly against figures computed by hand (issue 10)."""

from __future__ import annotations

import json

import pytest
from psycopg.types.json import Jsonb

from pglearn import quality

from conftest import SEED_CONTROLS, SEED_SCOPE

PLANTED = [
    {"key": "a", "pattern_key": "pm.q.A", "action_category": "entry", "scope": {"macro_phase": "Recover"},
     "effect": "", "expect": {"lever": "size_mult", "direction": "up"}},
    {"key": "b", "pattern_key": "pm.q.B", "action_category": "exit", "scope": {"macro_phase": "Oh-Shit"},
     "effect": "", "expect": {"lever": "size_mult", "direction": "down"}},
    {"key": "fading", "pattern_key": "pm.q.F", "action_category": "entry", "scope": {},
     "effect": "", "expect": {"lever": "size_mult", "direction": "up", "half_life_hours": 672}},
    {"key": "late", "pattern_key": "pm.q.L", "action_category": "entry", "scope": {},
     "effect": "", "expect": {"lever": "entry_delay_bars", "direction": "up"}},
]


def _lesson(conn, pattern: str, category: str, scope: dict, size: float, status: str = "active",
            half_life: int = 720) -> int:
    return conn.execute(
        "INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims,"
        " scope_values, status, effect, n, lesson_strength, decay_halflife_hours, last_epoch, last_confirmed_at)"
        " VALUES (%s, %s, (SELECT coalesce(sum(1 << d.bit), 0) FROM learning.scope_dimension AS d"
        "                  WHERE d.namespace = 'pm' AND %s::jsonb ? d.dim_name),"
        "         md5(%s::text), %s, %s, %s,"
        "         jsonb_build_object('capital_levers', jsonb_build_object('size_mult', %s::float, 'entry_aggression_mult', 1,"
        "                            'exit_aggression_mult', 1), 'execution_levers', '{\"signal_thresholds\": {}}'::jsonb),"
        "         100, 1, %s, '2026-03-01', '2026-03-01') RETURNING id",
        (pattern, category, Jsonb(scope), json.dumps(scope, sort_keys=True), list(scope), Jsonb(scope), status, size,
         half_life)).fetchone()[0]


def _score(conn, generation: int, lesson_id: int, size: float, matched: int, matched_rr: float,
           pattern_trades: int, pattern_rr: float) -> None:
    pattern, category, mask, vhash, scope = conn.execute(
        "SELECT pattern_key, action_category, scope_mask, scope_values_hash, scope_values FROM learning.learning_lessons"
        " WHERE id = %s", (lesson_id,)).fetchone()
    conn.execute(
        "INSERT INTO learning.override_score (generation, pattern_key, action_category, scope_mask, scope_values_hash,"
        " scope_values, lesson_id, size_mult, window_from, window_to, trades_matched, matched_sum_rr, matched_sum_size_rr,"
        " pattern_trades, pattern_sum_rr) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '2026-03-01', '2026-03-08', %s, %s, 0, %s, %s)",
        (generation, pattern, category, mask, vhash, Jsonb(scope), lesson_id, size, matched, matched_rr, pattern_trades,
         pattern_rr))


def test_measure_on_a_hand_built_state(conn):
    conn.execute("INSERT INTO learning.synthetic_run (seed, trades, weeks, patterns, history_from, history_to, planted, seconds)"
                 " VALUES (5, 100, 2, 4, '2026-01-05', '2026-01-19', %s, 0)", (Jsonb(PLANTED),))
    a = _lesson(conn, "pm.q.A", "entry", {"macro_phase": "Recover"}, 1.2)                       # recalled, right way
    a_narrow = _lesson(conn, "pm.q.A", "entry", {"macro_phase": "Recover", "bucket": "micro"}, 1.1)  # false: narrower
    _lesson(conn, "pm.q.B", "exit", {"macro_phase": "Oh-Shit"}, 1.1)                            # recalled, wrong way
    _lesson(conn, "pm.q.F", "entry", {}, 1.2, status="stale", half_life=1008)                  # not recalled; 1.5x
    noise = _lesson(conn, "pm.q.N", "entry", {"bucket": "nano"}, 0.9)                          # false: noise pattern

    # out of sample: signed excess = sign(size - 1) * (matched_rr - matched * pattern_rr / pattern_trades)
    _score(conn, 1, a, 1.1, 10, 8.0, 40, 12.0)         # +(8 - 10 * 0.3)    = +5.0
    _score(conn, 2, a, 1.05, 5, 0.5, 20, 4.0)          # +(0.5 - 5 * 0.2)   = -0.5
    _score(conn, 1, noise, 0.9, 10, -1.0, 50, 5.0)     # -(-1 - 10 * 0.1)   = +2.0
    _score(conn, 2, a_narrow, 1.08, 5, 0.0, 10, 2.0)   # +(0 - 5 * 0.2)     = -1.0
    _score(conn, 1, a_narrow, 1.0, 10, 9.0, 10, 9.0)   # size 1: no direction, left out
    _score(conn, 3, a_narrow, 1.3, 0, 0.0, 10, 2.0)    # no trade matched, left out

    # resolve: A's logged scopes inside Recover are SEED_SCOPE (bucket micro: the narrower lesson wins, a miss) and
    # one with bucket nano (the planted lesson, a hit); B's one Oh-Shit scope hits; F's lesson is stale: a miss.
    for pos, pattern, action, scope in [("q1", "pm.q.A", "E1", SEED_SCOPE),
                                        ("q2", "pm.q.A", "E1", {**SEED_SCOPE, "bucket": "nano"}),
                                        ("q3", "pm.q.A", "E1", {**SEED_SCOPE, "macro_phase": "Dip"}),
                                        ("q4", "pm.q.B", "cut", {**SEED_SCOPE, "macro_phase": "Oh-Shit"}),
                                        ("q5", "pm.q.F", "E1", SEED_SCOPE)]:
        conn.execute("SELECT learning.log_action(%s, %s, %s, %s, %s)",
                     (pos, pattern, action, Jsonb(scope), Jsonb(SEED_CONTROLS)))
    conn.execute("SELECT learning.materialize_overrides('2026-03-02')")
    telemetry = conn.execute("SELECT count(*) FROM learning.override_application").fetchone()[0]

    fig = quality.measure(conn)
    assert (fig["planted"], fig["recall_found"], fig["recall"]) == (4, 2, 0.5)
    assert (fig["active"], fig["false"], fig["fdr"]) == (4, 2, 0.5)
    assert (fig["false_on_planted_patterns"], fig["false_on_other_patterns"]) == (1, 1)
    assert sorted((f["id"], f["planted_pattern"]) for f in fig["false_lessons"]) == [(a_narrow, True), (noise, False)]
    assert (fig["direction_right"], fig["direction_recalled"], fig["direction"]) == (1, 2, 0.5)
    assert (fig["half_life_hours"], fig["half_life_truth_hours"], fig["half_life_ratio"]) == (1008, 672, 1.5)
    assert fig["half_life_lesson_status"] == "stale" and quality.half_life_within(fig["half_life_ratio"])
    assert fig["oos_trades"] == 30 and fig["oos_signed_excess"] == pytest.approx(5.5, abs=1e-9)
    assert fig["oos_per_trade"] == pytest.approx(5.5 / 30, abs=1e-12)
    assert fig["oos_planted_trades"] == 15 and fig["oos_planted_per_trade"] == pytest.approx(4.5 / 15, abs=1e-12)
    assert fig["oos_ratio"] == pytest.approx((5.5 / 30) / 0.3, abs=1e-12)
    assert (fig["resolve_calls"], fig["resolve_planted"], fig["resolve_share"]) == (4, 2, 0.5)
    by_key = {e["key"]: e for e in fig["effects"]}
    assert (by_key["a"]["resolve_calls"], by_key["a"]["resolve_planted"]) == (2, 1)
    assert (by_key["b"]["recalled"], by_key["b"]["direction_ok"], by_key["b"]["resolve_planted"]) == (True, False, 1)
    assert (by_key["fading"]["recalled"], by_key["fading"]["resolve_calls"], by_key["fading"]["resolve_planted"]) == (False, 1, 0)
    assert by_key["late"]["lesson_id"] is None and "resolve_calls" not in by_key["late"]  # no capital lever
    assert by_key["a"]["oos_trades"] == 15 and by_key["a"]["oos_per_trade"] == pytest.approx(0.3, abs=1e-12)
    assert conn.execute("SELECT count(*) FROM learning.override_application").fetchone()[0] == telemetry, \
        "the resolve calls leave no telemetry behind"

    checks = quality.check_targets(fig)
    assert checks == {"fdr": False, "recall": False, "direction": False, "half_life": True, "oos": True, "resolve": False}
    pooled = quality.pool([fig, {**fig, "seed": 6, "false": 0, "half_life_ratio": 1.6}])
    assert pooled["fdr"] == 2 / 8 and pooled["recall"] == 0.5 and pooled["half_life_ratio"] == 1.6
    assert pooled["oos_per_trade"] == pytest.approx(11 / 60, abs=1e-12)


def test_measure_without_truth_or_lessons(conn):
    """An imported history (no synthetic_run) and a pure-noise one (planted = []): nothing to recall, FDR 0 with no
    active lesson, every active lesson false otherwise."""
    fig = quality.measure(conn)
    assert (fig["planted"], fig["recall"], fig["active"], fig["fdr"], fig["oos_per_trade"]) == (0, None, 0, 0.0, None)
    conn.execute("INSERT INTO learning.synthetic_run (seed, trades, weeks, patterns, history_from, history_to, planted, seconds)"
                 " VALUES (5, 100, 2, 4, '2026-01-05', '2026-01-19', '[]', 0)")
    _lesson(conn, "pm.q.N", "entry", {"bucket": "nano"}, 0.9)
    fig = quality.measure(conn)
    assert (fig["active"], fig["false"], fig["fdr"], fig["resolve_share"]) == (1, 1, 1.0, None)
    assert all(line for line in quality.summary_lines(fig))
