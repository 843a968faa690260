"""resolve_overrides throughput against a bare primary-key select, side by side on one connection.

Both run as prepared statements in a loop of --calls; the report gives calls/s and the ratio (the issue's
goal: resolve_overrides at >= 0.5 of the primary-key select). A matching call also writes its telemetry row;
the "read_only" variant runs inside a read-only transaction, as on a hot standby, and writes nothing.
Usage: .venv/bin/python bench/bench_resolve.py --dsn postgresql://postgres@127.0.0.1:54329/pglearn
"""

from __future__ import annotations

import argparse
import json
import time

import psycopg
from psycopg.types.json import Jsonb

SCOPE = {"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro",
         "bucket_rank_position": 1, "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h",
         "A_mode": "normal", "E_mode": "aggressive"}
BASE = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}
CONTROLS = {"entry_delay_bars": 0, "phase1_frac": 0.15, "trail_speed": 1.0}


def rate(conn, sql: str, params, calls: int) -> float:
    for _ in range(200):  # warm up, let psycopg prepare
        conn.execute(sql, params, prepare=True)
    t = time.perf_counter()
    for _ in range(calls):
        conn.execute(sql, params, prepare=True).fetchone()
    return calls / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:54329/pglearn")
    ap.add_argument("--calls", type=int, default=20_000)
    args = ap.parse_args()
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        pattern, scope = conn.execute(
            "SELECT pattern_key, scope_values FROM learning.v_active_overrides ORDER BY n DESC LIMIT 1").fetchone() or (None, None)
        if pattern is None:
            raise SystemExit("no override in force: run a learning cycle on some history first (make demo / bench_aggregate)")
        lesson_id = conn.execute("SELECT min(id) FROM learning.learning_lessons").fetchone()[0]
        resolve = "SELECT resolve_overrides(%s, 'entry', %s, %s, %s)"
        params = (pattern, Jsonb({**SCOPE, **scope}), Jsonb(BASE), Jsonb(CONTROLS))
        report = {"calls": args.calls,
                  "pk_select_per_s": round(rate(conn, "SELECT * FROM learning.learning_lessons WHERE id = %s", (lesson_id,), args.calls)),
                  "resolve_match_per_s": round(rate(conn, resolve, params, args.calls)),
                  "resolve_no_match_per_s": round(rate(conn, resolve, ("pm.none.x", *params[1:]), args.calls))}
        conn.execute("SET default_transaction_read_only = on")
        report["resolve_match_read_only_per_s"] = round(rate(conn, resolve, params, args.calls))
    for key in ("resolve_match_per_s", "resolve_no_match_per_s", "resolve_match_read_only_per_s"):
        report["ratio_" + key.removesuffix("_per_s") + "_vs_pk"] = round(report[key] / report["pk_select_per_s"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
