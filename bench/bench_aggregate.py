"""Aggregation benchmark: pglearn's iceberg cube vs DuckDB's CUBE vs a pandas loop over the 1,023 masks.

Measured side by side in one run on the same rows (docs/operations.md, "Scaling"):
  1. full rebuild: learning.aggregate_pattern_scope_stats over all trades closed by T_full
  2. update: the same after --update more trades have closed (as_of moves past them)
  3. DuckDB GROUP BY CUBE over the same facts (n, sum rr, sum rr^2 per cell, HAVING n >= 10)
  4. pandas: one groupby per mask (1,023 + the pattern-wide one), same aggregates
Ratios are reported relative to DuckDB. Usage: .venv/bin/python bench/bench_aggregate.py --trades 100000
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from datetime import datetime

import psycopg

from pglearn.synthetic import generate
from scratch import scratch_database

DIMS = ["macro_phase", "meso_phase", "micro_phase", "bucket_leader", "bucket_rank_position", "market_family", "bucket",
        "timeframe", "A_mode", "E_mode"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:54329/pglearn")
    ap.add_argument("--trades", type=int, default=100_000)
    ap.add_argument("--update", type=int, default=10_000)
    ap.add_argument("--patterns", type=int, default=40)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()
    dsn = scratch_database(args.dsn, "pglearn_bench")
    report: dict = {"trades": args.trades, "update": args.update, "patterns": args.patterns}
    with psycopg.connect(dsn) as conn:
        t = time.perf_counter()
        info = generate(conn, trades=args.trades + args.update, weeks=args.weeks, patterns=args.patterns, seed=1)
        report["load_s"] = round(time.perf_counter() - t, 1)
        cut = conn.execute(
            "SELECT closed_at FROM learning.completed_trades ORDER BY closed_at OFFSET %s LIMIT 1", (args.trades,)
        ).fetchone()[0]
        conn.commit()
        t = time.perf_counter()
        rows = conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (cut,)).fetchone()[0]
        conn.commit()
        report["pglearn_full_s"] = round(time.perf_counter() - t, 2)
        report["stats_rows"] = rows
        t = time.perf_counter()
        changed = conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)",
                               (datetime.fromisoformat(info["end"]),)).fetchone()[0]
        conn.commit()
        report["pglearn_update_s"] = round(time.perf_counter() - t, 2)
        report["update_rows_changed"] = changed
        facts = conn.execute(
            "SELECT DISTINCT ON (a.pattern_key, a.action_category, a.position_id) a.pattern_key, a.action_category,"
            " a.scope_vec, t.rr FROM learning.action_log a JOIN learning.completed_trades t USING (position_id)"
            " WHERE split_part(a.pattern_key, '.', 1) = 'pm' ORDER BY a.pattern_key, a.action_category, a.position_id, a.ts"
        ).fetchall()
    report["facts"] = len(facts)

    import duckdb
    import pandas as pd

    df = pd.DataFrame([(p, c, *v, rr) for p, c, v, rr in facts], columns=["pattern_key", "action_category", *DIMS, "rr"])
    con = duckdb.connect()
    con.register("facts", df)
    dims = ", ".join(DIMS)
    t = time.perf_counter()
    n_duck = con.execute(
        f"SELECT count(*) FROM (SELECT pattern_key, action_category, {dims}, count(*) AS n, sum(rr), sum(rr * rr)"
        f" FROM facts GROUP BY pattern_key, action_category, CUBE ({dims}) HAVING count(*) >= 10)"
    ).fetchone()[0]
    report["duckdb_cube_s"] = round(time.perf_counter() - t, 2)
    report["duckdb_cells_n_ge_10"] = n_duck
    if not args.skip_pandas:
        t = time.perf_counter()
        cells = 0
        for k in range(0, len(DIMS) + 1):
            for combo in itertools.combinations(DIMS, k):
                g = df.groupby(["pattern_key", "action_category", *combo], sort=False)["rr"].agg(["count", "sum"])
                cells += int((g["count"] >= 10).sum())
        report["pandas_loop_s"] = round(time.perf_counter() - t, 2)
    base = report["duckdb_cube_s"] or 1e-9
    report["ratio_pglearn_full_vs_duckdb"] = round(report["pglearn_full_s"] / base, 1)
    report["ratio_pglearn_update_vs_duckdb"] = round(report["pglearn_update_s"] / base, 1)
    if "pandas_loop_s" in report:
        report["ratio_pandas_vs_duckdb"] = round(report["pandas_loop_s"] / base, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
