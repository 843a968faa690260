"""Meta-learning timings: v5.2 half-life fitting for --lessons lessons, v5.3 clustering of --patterns patterns
over --trades closed trades, in a scratch database (pglearn_bench_meta).

Bench data is bulk-inserted with triggers off (session_replication_role = replica): it is valid by
construction and loading it is not what is measured.
Usage: .venv/bin/python bench/bench_meta.py --lessons 10000 --patterns 500 --trades 1000000
"""

from __future__ import annotations

import argparse
import json
import time

import psycopg

from scratch import scratch_database

SCOPE = ('{"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro", '
         '"bucket_rank_position": 1, "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h", '
         '"A_mode": "normal", "E_mode": "aggressive"}')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:54329/pglearn")
    ap.add_argument("--lessons", type=int, default=10_000)
    ap.add_argument("--patterns", type=int, default=500)
    ap.add_argument("--trades", type=int, default=1_000_000)
    args = ap.parse_args()
    dsn = scratch_database(args.dsn, "pglearn_bench_meta")
    report: dict = dict(vars(args))
    report.pop("dsn")
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims,"
            " scope_values, effect, lesson_strength, last_epoch, last_confirmed_at)"
            " SELECT 'pm.b.p' || i, 'entry', 0, md5('{}'), '{}', '{}', '{\"capital_levers\": {}, \"execution_levers\": {}}',"
            " 0.5, now(), now() FROM generate_series(1, %s) AS i", (args.lessons,))
        conn.execute(
            "INSERT INTO learning.learning_edge_history (pattern_key, action_category, scope_signature, edge_raw, ts, n)"
            " SELECT 'pm.b.p' || i, 'entry', md5('{}'), (1 + i %% 7) * exp(-w * 168.0 / (50 + i %% 900)) + 0.01 * ((i * w) %% 3),"
            " '2026-01-05'::timestamptz + w * interval '1 week', 100"
            " FROM generate_series(1, %s) AS i, generate_series(0, 11) AS w", (args.lessons,))
        conn.execute(
            "INSERT INTO learning.completed_trades (position_id, closed_at, rr, details, first_action_at)"
            " SELECT 't' || j, '2026-01-01'::timestamptz + j * interval '20 seconds', 1, '{}', '2026-01-01'"
            " FROM generate_series(1, %s) AS j", (args.trades,))
        # each trade: three patterns; pairs (2k, 2k+1) of the first 40 patterns fire together (20 planted factors)
        conn.execute(
            "INSERT INTO learning.action_log (position_id, ts, pattern_key, action_type, action_category, scope, controls, scope_vec)"
            " SELECT 't' || j, '2026-01-01', 'pm.c.p' || p, 'E1', 'entry', %s::jsonb, '{\"signals\": {}, \"applied_knobs\": {}}', '{}'"
            " FROM generate_series(1, %s) AS j,"
            " LATERAL (VALUES ((j::bigint * 7919) %% %s), ((j::bigint * 104729) %% %s), (CASE WHEN (j::bigint * 7919) %% %s < 40"
            "          THEN ((j::bigint * 7919) %% %s) # 1 ELSE (j::bigint * 15485863) %% %s END)) AS v (p)",
            (SCOPE, args.trades, args.patterns, args.patterns, args.patterns, args.patterns, args.patterns))
        conn.execute("RESET session_replication_role")
        conn.commit()
        t = time.perf_counter()
        fitted = conn.execute("SELECT learning.estimate_half_lives('2026-12-01')").fetchone()[0]
        report["half_lives_s"] = round(time.perf_counter() - t, 2)
        report["half_lives_fitted"] = fitted
        t = time.perf_counter()
        factors = conn.execute("SELECT learning.cluster_latent_factors('2026-12-01')").fetchone()[0]
        report["clustering_s"] = round(time.perf_counter() - t, 2)
        report["factors"] = factors
        report["multi_member_factors"] = conn.execute(
            "SELECT count(*) FROM learning.learning_latent_factors WHERE cardinality(pattern_keys) > 1").fetchone()[0]
        conn.rollback()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
