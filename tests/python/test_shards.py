"""The sharded deployment (issue 16): a PL/Proxy router and 2 shards (db/scaleout/, pglearn.scaleout.deploy), next to
one node, all as databases of a private cluster (db/cluster.sh with its own PGLEARN_HOME and loopback port, stopped
and removed afterwards, also on failure).

Equivalence: the same history, logged and closed through the router (each action on the shard of its pattern, a
trade on every shard holding one of its actions), learned by two cycles of scaleout.run_learning_cycle (the shards
learn their own patterns, the router what spans patterns, without holding the facts), gives what two cycles of
learning.run_learning_cycle give on one node: the same stats, cube frame, regime weights and candidates (p and q,
outcome and reason) as the union of the shards, the same baselines, epochs, lessons, edge history, latent factors,
generation and overrides on the router (and on the shards: their own patterns' rows), with the same identities
(lesson ids, epochs, generations; cube cells by their natural key, their stats ids being shard-local), numbers equal
to 1e-9; and the router's resolve_overrides and explain_override answer what one node answers.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pglearn import Client
from pglearn.errors import UnknownScopeDimension
from pglearn.migrate import migrate
from pglearn.scaleout import deploy
from pglearn.synthetic import generate

from conftest import private_cluster, with_dbname

REPO = Path(__file__).resolve().parents[2]
AS_OFS = ("2026-01-20T00:00:00+00:00", "2026-02-03T00:00:00+00:00")
TOL = 1e-9
TUNE = """UPDATE learning.learning_configs
          SET config = jsonb_set(jsonb_set(config, '{tunables,fdr_q}', '0.5'), '{tunables,edge_min}', '0.1')
          WHERE config_key = 'pm_config'"""
# what is compared, per learned table: identities included, wall-clock timestamps (created_at, updated_at) not
LEARNED = {
    # the cube: shard-local stats ids, compared by the natural key (pattern, category, mask, scope hash); scope_key is
    # coded through each node's own dictionary (migration 0016), so it is node-local too
    "stats": """SELECT s.pattern_key, to_jsonb(s) - 'id' - 'created_at' - 'updated_at' - 'scope_key'
                FROM learning.pattern_scope_stats AS s
                ORDER BY s.pattern_key, s.action_category, s.scope_mask, s.scope_values_hash""",
    # finished against learning.category_baselines: on a shard the baselines the router pinned over all shards
    "finished": """SELECT pattern_key, action_category, scope_mask, scope_values_hash, n, stats FROM learning.v_pattern_scope_stats
                   ORDER BY pattern_key, action_category, scope_mask, scope_values_hash""",
    "frame": """SELECT action_category, week0, week_bits, coherence_baseline, built_as_of, max_subset_size
                FROM learning.scope_cube_frame ORDER BY action_category""",
    "regimes": """SELECT pattern_key, action_category, regime_signature, weights, n_samples, confidence, updated_at
                  FROM learning.learning_regime_weights ORDER BY pattern_key, action_category, regime_signature""",
    "baselines": "SELECT * FROM learning.category_baselines(now()) ORDER BY action_category",
    "candidates": """SELECT epoch_no, kind, pattern_key, action_category, scope_mask, scope_values_hash, n, mean, p_value, q_value,
                            significant, parent_p, self_sufficient, remainder_n, remainder_p, productive, shrink_weight, shrunk_mean,
                            edge_shrunk, chosen, reason
                     FROM learning.lesson_candidate ORDER BY epoch_no, pattern_key, action_category, scope_values_hash, kind""",
    "epoch": "SELECT epoch_no, as_of, fdr_q, layers, tests, discoveries, chosen, per_layer FROM learning.lesson_epoch ORDER BY epoch_no",
    "lessons": """SELECT id, pattern_key, action_category, scope_values_hash, status, enabled, effect, edge_raw, incremental_edge,
                         n, lesson_strength, decay_halflife_hours, latent_factor_id, last_epoch, last_confirmed_at,
                         confirmed_epoch, basis, p_value, q_value, shrink_weight, status_reason
                  FROM learning.learning_lessons ORDER BY id""",
    "edges": """SELECT pattern_key, action_category, scope_signature, edge_raw, ts, n, window_days FROM learning.learning_edge_history
                ORDER BY pattern_key, action_category, scope_signature, ts""",
    "factors": """SELECT factor_id, pattern_keys, representative_pattern, correlation_matrix
                  FROM learning.learning_latent_factors ORDER BY factor_id""",
    "overrides": """SELECT o.generation, o.pattern_key, o.action_category, o.scope_values_hash, o.lesson_id, o.lesson_strength,
                           o.decay_factor, o.size_mult, o.entry_aggression_mult, o.exit_aggression_mult, o.entry_delay_bars,
                           o.phase1_frac_mult, o.trim_delay_mult, o.trail_mult, o.panic_trigger_mult, o.signal_thresholds,
                           o.latent_factor_id
                    FROM learning.runtime_override AS o JOIN learning.override_current AS c USING (generation)
                    ORDER BY o.pattern_key, o.action_category, o.scope_values_hash""",
    "generation": "SELECT generation, as_of, n_overrides FROM learning.override_current JOIN learning.override_generation USING (generation)",
}
# learned on the shards, each its own patterns (the router holds none of it)
SHARD_LOCAL = ("stats", "finished", "regimes")
# learned on the router (what spans patterns and the identities); all but the edge history reach the shards too
ROUTER = ("baselines", "epoch", "lessons", "edges", "factors", "overrides", "generation")
BY_PATTERN = {"stats": 0, "finished": 0, "regimes": 0, "candidates": 2, "lessons": 1, "overrides": 1}
# the natural key of a row of each table (the union of the shards and one node's rows are compared in this order)
NATURAL = {"stats": lambda r: (r[0], r[1]["action_category"], r[1]["scope_mask"], r[1]["scope_values_hash"]),
           "finished": lambda r: r[:4], "regimes": lambda r: r[:3], "candidates": lambda r: (r[0], r[2], r[3], r[5], r[1]),
           "lessons": lambda r: r[0], "overrides": lambda r: r[1:4]}  # learned table -> its pattern_key column


def _close(a, b, path="") -> None:
    """a equals b, floats to TOL (relative for large values), recursively through JSON documents."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), f"{path}: {a!r} vs {b!r}"
        assert math.isclose(a, b, rel_tol=TOL, abs_tol=TOL), f"{path}: {a!r} vs {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} vs {sorted(b)}"
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), f"{path}: {len(a)} vs {len(b)} rows"
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def _learned(dsn: str) -> dict[str, list[tuple]]:
    with psycopg.connect(dsn) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in LEARNED.items()}


@pytest.fixture(scope="module")
def deployment():
    """one node, a router and 2 shards: databases of one private cluster, each a copy of one migrated template."""
    with private_cluster("shards") as (dsn, _env):
        with psycopg.connect(dsn, autocommit=True) as admin:  # not cron.database_name: pg_cron schedules nothing
            admin.execute("CREATE DATABASE tmpl")
            migrate(with_dbname(dsn, "tmpl"))
            with psycopg.connect(with_dbname(dsn, "tmpl")) as conn:
                conn.execute(TUNE)
            # the migration's own connection (yoyo's) may still be open: the template must have no session
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'tmpl'")
            for name in ("src", "one", "router", "shard_0", "shard_1"):
                admin.execute(f"CREATE DATABASE {name} TEMPLATE tmpl")
        dbs = {name: with_dbname(dsn, name) for name in ("src", "one", "router", "shard_0", "shard_1")}
        assert deploy(dbs["router"], [dbs["shard_0"], dbs["shard_1"]], run_migrations=False) == 2
        yield dbs


def _replay(dsn: str, actions: list[tuple], trades: list[tuple]) -> list[int]:
    """Log and close through learning.log_action / learning.close_trade, as the PM does; returns the action ids."""
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        ids = [cur.execute("SELECT learning.log_action(%s, %s, %s, %s, %s, %s)", (p, k, t, Jsonb(s), Jsonb(c), ts)).fetchone()[0]
               for p, k, t, s, c, ts in actions]
        cur.executemany("SELECT learning.close_trade(%s, %s, %s, %s)", [(p, rr, at, Jsonb(d)) for p, rr, at, d in trades])
    return ids


def test_two_shards_learn_what_one_node_learns(deployment):
    one, router, shards = deployment["one"], deployment["router"], [deployment["shard_0"], deployment["shard_1"]]
    with psycopg.connect(deployment["src"]) as conn:
        generate(conn, trades=400, weeks=4, patterns=4, seed=11)
        actions = conn.execute("""SELECT position_id, pattern_key, action_type, scope, controls, ts
                                  FROM learning.action_log ORDER BY id""").fetchall()
        trades = conn.execute("""SELECT position_id, rr, closed_at, details FROM learning.completed_trades
                                 ORDER BY closed_at, position_id""").fetchall()
    with psycopg.connect(router) as conn:
        owner = dict(conn.execute("SELECT k, scaleout.shard_of(k, scaleout.shard_count()) FROM unnest(%s::text[]) AS k",
                                  (sorted({a[1] for a in actions}),)).fetchall())
    assert set(owner.values()) == {0, 1}, "both shards own patterns"
    by_position: dict[str, set[int]] = {}
    for a in actions:
        by_position.setdefault(a[0], set()).add(owner[a[1]])
    assert sum(len(s) == 2 for s in by_position.values()) > 0, "trades whose actions live on both shards"

    # two batches, a cycle after each: the second epoch moves, stales or confirms the first one's lessons
    cut = datetime.fromisoformat(AS_OFS[0])
    batches = [([a for a in actions if a[5] < cut], [t for t in trades if t[2] < cut]),
               ([a for a in actions if a[5] >= cut], [t for t in trades if t[2] >= cut])]
    for (batch_actions, batch_trades), as_of in zip(batches, AS_OFS):
        assert batch_actions and batch_trades
        _replay(one, batch_actions, batch_trades)
        ids = _replay(router, batch_actions, batch_trades)
        assert all(i % 2 == (owner[a[1]] + 1) % 2 for i, a in zip(ids, batch_actions)), "shard i numbers its actions i + 1 + 2k"
        with psycopg.connect(one, autocommit=True) as conn:
            local = conn.execute("SELECT learning.run_learning_cycle(%s)", (as_of,)).fetchone()[0]
        with psycopg.connect(router, autocommit=True) as conn:
            sharded = conn.execute("SELECT scaleout.run_learning_cycle(%s)", (as_of,)).fetchone()[0]
        assert sharded["ok"] and not sharded["skipped"], sharded
        assert [(j["job"], j["status"], j["rows"]) for j in sharded["jobs"]] == \
               [(j["job"], j["status"], j["rows"]) for j in local["jobs"]]
        assert len(sharded["handed_off"]) == 2

        expected = _learned(one)
        assert expected["lessons"] and expected["overrides"] and expected["factors"], "lessons, overrides, latent factors"
        assert expected["candidates"] and (as_of == AS_OFS[0] or expected["edges"]), "candidates, edge history (full windows)"
        with psycopg.connect(router) as conn:  # the router never holds the facts, the cube or the epoch's tests
            assert conn.execute("""SELECT (SELECT count(*) FROM learning.action_log) + (SELECT count(*) FROM learning.completed_trades)
                                          + (SELECT count(*) FROM learning.pattern_scope_stats)
                                          + (SELECT count(*) FROM learning.lesson_candidate)""").fetchone()[0] == 0
        routed = _learned(router)
        _close({k: routed[k] for k in ROUTER}, {k: expected[k] for k in ROUTER}, "router")
        per_shard = [_learned(s) for s in shards]
        for name, col in BY_PATTERN.items():  # each shard holds exactly its own patterns' rows, together all of them
            for i, learned in enumerate(per_shard):
                assert {owner[r[col]] for r in learned[name]} <= {i}, f"{name} of shard {i}: only its own patterns"
            union = sorted((r for learned in per_shard for r in learned[name]), key=NATURAL[name])
            _close(union, sorted(expected[name], key=NATURAL[name]), f"{name} as of {as_of}")
        for rows in per_shard:  # what spans patterns is on every shard
            for name in ("factors", "generation", "baselines", "frame", "epoch"):
                _close(rows[name], expected[name], name)


def test_router_answers_what_one_node_answers(deployment):
    """Runs after the equivalence test (module order): both sides hold the same current generation."""
    one, router = deployment["one"], deployment["router"]
    with psycopg.connect(one) as conn:
        overrides = conn.execute("""SELECT o.pattern_key, o.action_category, a.scope
                                    FROM learning.runtime_override AS o JOIN learning.override_current USING (generation)
                                    CROSS JOIN LATERAL (SELECT a.scope FROM learning.action_log AS a
                                                        WHERE a.pattern_key = o.pattern_key AND a.scope @> o.scope_values
                                                        ORDER BY a.id LIMIT 1) AS a
                                    ORDER BY o.lesson_strength DESC LIMIT 5""").fetchall()
    assert overrides
    levers = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}
    with Client(one) as local, Client(router) as routed:
        for key, category, scope in overrides:
            a = local.resolve_overrides(key, category, scope, levers, {"entry_delay_bars": 0})
            b = routed.resolve_overrides(key, category, scope, levers, {"entry_delay_bars": 0})
            _close((b.levers, b.controls, b.strength, b.execution, b.generation),
                   (a.levers, a.controls, a.strength, a.execution, a.generation), key)
            assert b.telemetry == "recorded", "recorded on the shard"
            ea, eb = local.explain_override(key, category, scope), routed.explain_override(key, category, scope)
            _close({k: eb[k] for k in ("applies", "override", "stats")}, {k: ea[k] for k in ("applies", "override", "stats")}, key)
        # a result forwarded from a standby is recorded on the pattern's shard
        key, category, scope = overrides[0]
        doc = routed.conn.execute("SELECT learning.resolve_overrides(%s, %s, %s, %s, '{}')",
                                  (key, category, Jsonb(scope), Jsonb(levers))).fetchone()[0]
        shard = deployment[f"shard_{routed.conn.execute('SELECT scaleout.shard_of(%s, 2)', (key,)).fetchone()[0]}"]
        with psycopg.connect(shard) as conn:
            before = conn.execute("SELECT count(*) FROM learning.override_application").fetchone()[0]
            routed.conn.execute("SELECT learning.record_override_application(%s, %s, %s, %s)",
                                (key, category, Jsonb(scope), Jsonb(doc)))
            assert conn.execute("SELECT count(*) FROM learning.override_application").fetchone()[0] == before + 1
        # errors come back from the shard with their SQLSTATE; an unknown position is LR003 on the router
        with pytest.raises(UnknownScopeDimension):  # LR001, raised by the shard
            routed.log_action("bad-1", "pm.uptrend.S1.buy_flag", "E1", {"macro_phase": "Moon"}, {})
        for position, rr, sqlstate in (("pos0000001", 1e9, "22023"), ("pos0000001", 1.0, "23505"), ("no-such-position", 1.0, "LR003")):
            with pytest.raises(psycopg.Error) as err:
                routed.conn.execute("SELECT learning.close_trade(%s, %s)", (position, rr))
            assert err.value.sqlstate == sqlstate, (position, rr, err.value)


def test_unschedule_keeps_fold_in_on_shards_and_telemetry_everywhere(dsn):
    """scaleout.shard_unschedule: a shard keeps the minute fold-in, the telemetry roll-up and housekeeping; the router
    keeps the last two only; any other role is 22023. Run in the test database (its cluster's cron.database_name), in
    transactions that are rolled back."""
    src = (REPO / "db/scaleout/common/shard_unschedule.sql").read_text()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('cron.job') IS NOT NULL").fetchone()[0], "pg_cron in the test database"
        fold = conn.execute("SELECT cron_name FROM learning.job_registry WHERE job = 'fold_in_closes'").fetchone()[0]
        for role, kept in (("shard", {"pglearn_housekeeping", "pglearn_telemetry", fold}),
                           ("router", {"pglearn_housekeeping", "pglearn_telemetry"})):
            with conn.transaction(force_rollback=True):
                conn.execute("CREATE SCHEMA IF NOT EXISTS scaleout")
                conn.execute(src)
                before = {r[0] for r in conn.execute(
                    "SELECT jobname FROM cron.job WHERE database = current_database() AND jobname LIKE 'pglearn\\_%'")}
                assert kept <= before and len(before) > len(kept), before
                removed = conn.execute("SELECT scaleout.shard_unschedule(%s)", (role,)).fetchone()[0]
                after = {r[0] for r in conn.execute(
                    "SELECT jobname FROM cron.job WHERE database = current_database() AND jobname LIKE 'pglearn\\_%'")}
                assert after == kept, (role, after)
                assert removed == len(before) - len(kept)
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE SCHEMA IF NOT EXISTS scaleout")
            conn.execute(src)
            with pytest.raises(psycopg.Error) as err:
                conn.execute("SELECT scaleout.shard_unschedule('primary')")
            assert err.value.sqlstate == "22023"
