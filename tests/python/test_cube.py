"""The cube's fold-in (issue 13, docs/stats.md "Fold-in"): any sequence of fold-ins equals a full rebuild of the same
trades; a fold-in is idempotent, steps aside while a rebuild holds the cube, and a close shows at the next run."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import psycopg.types.json
import pytest

from conftest import DATA_TABLES
from pglearn.synthetic import generate


def cube(conn, table: str = "learning.pattern_scope_stats", key: str = "scope_mask, scope_values_hash") -> dict:
    """Every cell with its sums; the week bitmap without its trailing zeros (the rebuild sizes it to the history)."""
    cols = [c for (c,) in conn.execute("SELECT col FROM learning._cube_measures() ORDER BY ord")]
    select = ", ".join("rtrim(weeks::text, '0')" if c == "weeks" else c for c in cols)
    return {tuple(r[:4]): r[4:] for r in conn.execute(
        f"SELECT pattern_key, action_category, {key}, {select} FROM {table}").fetchall()}


def assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for cell, sums in want.items():
        assert [x if isinstance(x, str) else pytest.approx(x, rel=1e-9, abs=1e-9) for x in sums] == list(got[cell]), cell


@pytest.mark.parametrize("steps", [1, 5])
def test_any_sequence_of_fold_ins_equals_a_rebuild(conn, steps):
    """Rebuild over the first 40 % of the closes, fold the rest in `steps` runs: the cube and its base equal a rebuild of
    every close, cell by cell and sum by sum (cells that crossed N_min in between included). The coherence baseline is
    fixed here (tunables.rr_baseline): with a moving baseline only n_above may differ (frozen at the last rebuild)."""
    generate(conn, trades=300, weeks=6, patterns=4, seed=7)
    conn.execute("UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,rr_baseline}', '0.1')"
                 " WHERE config_key = 'pm_config'")
    first, last = conn.execute("SELECT min(closed_at), max(closed_at) FROM learning.completed_trades").fetchone()
    t0 = first + (last - first) * 0.4
    conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (t0,))
    queued = conn.execute("SELECT count(*) FROM learning.scope_fold_queue").fetchone()[0]
    assert queued == conn.execute("SELECT count(*) FROM learning.completed_trades WHERE closed_at > %s", (t0,)).fetchone()[0]
    before = conn.execute("SELECT count(*) FROM learning.pattern_scope_stats").fetchone()[0]
    codes = conn.execute("SELECT count(*) FROM learning.scope_cube_code").fetchone()[0]
    taken = 0
    for i in range(1, steps + 1):
        taken += conn.execute("SELECT learning.fold_in_closes(%s)", (t0 + (last - t0) * i / steps,)).fetchone()[0]
    assert taken == queued and conn.execute("SELECT count(*) FROM learning.scope_fold_queue").fetchone()[0] == 0
    # folded, not rebuilt: the frame is still the first rebuild's, and the scope values the first 40 % of the history
    # lacked were coded into the dictionary's spare codes (migration 0016: keys, not a rebuild)
    assert conn.execute("SELECT min(built_as_of) = max(built_as_of) AND min(built_as_of) = %s FROM learning.scope_cube_frame",
                        (t0,)).fetchone()[0]
    assert conn.execute("SELECT count(*) FROM learning.scope_cube_code").fetchone()[0] > codes, "new values were coded"
    assert conn.execute("SELECT count(*) FROM learning.pattern_scope_stats WHERE scope_key IS NULL").fetchone()[0] == 0
    folded, folded_base = cube(conn), cube(conn, "learning.scope_cube_base", "scope_hash, NULL")
    assert len(folded) > before, "cells crossed N_min during the fold-ins"
    conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (last,))
    assert_same(folded, cube(conn))
    assert_same(folded_base, cube(conn, "learning.scope_cube_base", "scope_hash, NULL"))


def test_fold_in_is_idempotent_and_yields_to_a_rebuild(dsn, conn):
    generate(conn, trades=300, weeks=4, patterns=4, seed=3)
    last = conn.execute("SELECT max(closed_at) FROM learning.completed_trades").fetchone()[0]
    conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (last - timedelta(days=7),))
    conn.commit()  # visible to the other session below
    try:
        with psycopg.connect(dsn, autocommit=True) as other:  # a rebuild holds the cube
            other.execute("SELECT pg_advisory_lock(hashtext('pglearn'), hashtext('cube'))")
            try:
                assert conn.execute("SELECT learning.fold_in_closes(%s)", (last,)).fetchone()[0] == 0
                assert conn.execute("SELECT count(*) FROM learning.scope_fold_queue").fetchone()[0] > 0, "the queue waits"
            finally:
                other.execute("SELECT pg_advisory_unlock(hashtext('pglearn'), hashtext('cube'))")
        assert conn.execute("SELECT learning.fold_in_closes(%s)", (last,)).fetchone()[0] > 0
        once = cube(conn)
        assert conn.execute("SELECT learning.fold_in_closes(%s)", (last,)).fetchone()[0] == 0, "nothing is folded twice"
        assert cube(conn) == once
        # a new close shows at the next run (the job runs every minute)
        pattern, scope, n = conn.execute(
            "SELECT s.pattern_key, a.scope, s.n FROM learning.pattern_scope_stats AS s"
            " JOIN LATERAL (SELECT a.scope FROM learning.action_log AS a WHERE a.pattern_key = s.pattern_key"
            "               AND a.action_category = 'entry' LIMIT 1) AS a ON true"
            " WHERE s.scope_mask = 0 AND s.action_category = 'entry' LIMIT 1").fetchone()
        conn.execute("SELECT learning.log_action('new1', %s, 'E1', %s, '{\"signals\": {}, \"applied_knobs\": {}}', %s)",
                     (pattern, psycopg.types.json.Jsonb(scope), last))
        conn.execute("SELECT learning.close_trade('new1', 1.0, %s)", (last + timedelta(minutes=1),))
        assert conn.execute("SELECT learning.fold_in_closes(%s)", (last + timedelta(minutes=2),)).fetchone()[0] == 1
        assert conn.execute("SELECT n FROM learning.pattern_scope_stats WHERE pattern_key = %s AND action_category = 'entry'"
                            " AND scope_mask = 0", (pattern,)).fetchone()[0] == n + 1
    finally:
        conn.rollback()  # what was committed above goes too
        conn.execute(f"TRUNCATE {', '.join('learning.' + t.strip() for t in DATA_TABLES.split(','))}")
        conn.commit()
