"""Aggregation benchmark: pglearn's iceberg cube vs DuckDB's CUBE vs a pandas loop over the 1,023 masks.

Measured side by side in one run on the same rows (docs/operations.md, "Scaling"):
  1. full rebuild: learning.aggregate_pattern_scope_stats over all trades closed by T_full
  2. update: the same after --update more trades have closed (as_of moves past them)
  3. DuckDB GROUP BY CUBE over the same facts (n, sum rr, sum rr^2 per cell, n >= N_min(k)); its count of
     qualifying cells per subset size k is checked against the rows pglearn wrote (the same facts: all trades)
  4. pandas: one groupby per mask (1,023 + the pattern-wide one), same aggregates
Ratios are reported relative to DuckDB. Usage: .venv/bin/python bench/bench_aggregate.py --trades 100000
(--skip-pglearn --skip-pandas: only the generator and DuckDB, to size the output at 1,000,000 trades)
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

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
    ap.add_argument("--skip-pglearn", action="store_true",
                    help="generate and run DuckDB only: the size of the output (qualifying cells per k) at large sizes")
    ap.add_argument("--max-subset-size", type=int, default=10,
                    help="pglearn's depth (tunables.max_subset_size); 10, the default here, is the full cube DuckDB and pandas compute")
    args = ap.parse_args()
    dsn = scratch_database(args.dsn, "pglearn_bench")
    report: dict = {"trades": args.trades, "update": args.update, "patterns": args.patterns, "max_subset_size": args.max_subset_size}
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,max_subset_size}', %s)"
                     " WHERE config_key = 'pm_config'", (str(args.max_subset_size),))
        t = time.perf_counter()
        generate(conn, trades=args.trades + args.update, weeks=args.weeks, patterns=args.patterns, seed=1)
        report["load_s"] = round(time.perf_counter() - t, 1)
        cut = conn.execute(
            "SELECT closed_at FROM learning.completed_trades ORDER BY closed_at OFFSET %s LIMIT 1", (args.trades,)
        ).fetchone()[0]
        conn.commit()
        if not args.skip_pglearn:
            t = time.perf_counter()
            rows = conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (cut,)).fetchone()[0]
            conn.commit()
            report["pglearn_full_s"] = round(time.perf_counter() - t, 2)
            report["stats_rows"] = rows
            t = time.perf_counter()
            # as of the last close: every trade counts, the same facts DuckDB and pandas get below
            changed = conn.execute("SELECT learning.aggregate_pattern_scope_stats(max(closed_at))"
                                   " FROM learning.completed_trades").fetchone()[0]
            conn.commit()
            report["pglearn_update_s"] = round(time.perf_counter() - t, 2)
            report["update_rows_changed"] = changed
            report["pglearn_rows_per_k"] = dict(conn.execute(
                "SELECT (stats ->> 'k')::int, count(*) FROM learning.pattern_scope_stats"
                " WHERE split_part(pattern_key, '.', 1) = 'pm' GROUP BY 1 ORDER BY 1").fetchall())
        n_min = dict(conn.execute(f"SELECT k, learning.n_min(k) FROM generate_series(0, {len(DIMS)}) AS k").fetchall())
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
    k_expr = f"{len(DIMS)} - bit_count(GROUPING({dims})::int)"
    nmin_expr = f"list_extract({[n_min[k] for k in range(len(DIMS) + 1)]}, k + 1)"
    t = time.perf_counter()
    per_k = con.execute(
        f"SELECT k, count(*) FROM (SELECT pattern_key, action_category, {dims}, {k_expr} AS k, count(*) AS n,"
        f" sum(rr), sum(rr * rr) FROM facts GROUP BY pattern_key, action_category, CUBE ({dims}))"
        f" WHERE n >= {nmin_expr} GROUP BY k ORDER BY k"
    ).fetchall()
    report["duckdb_cube_s"] = round(time.perf_counter() - t, 2)
    # the output's size: cells with n >= N_min(k) per subset size k, the rows a rebuild must write
    report["duckdb_qualifying_cells_per_k"] = {int(k): int(n) for k, n in per_k}
    report["duckdb_qualifying_cells"] = sum(n for _, n in per_k)
    if "pglearn_rows_per_k" in report:
        report["pglearn_rows_match_duckdb"] = report["pglearn_rows_per_k"] == report["duckdb_qualifying_cells_per_k"]
    if not args.skip_pandas:
        t = time.perf_counter()
        cells = 0
        for k in range(0, len(DIMS) + 1):
            for combo in itertools.combinations(DIMS, k):
                g = df.groupby(["pattern_key", "action_category", *combo], sort=False)["rr"].agg(["count", "sum"])
                cells += int((g["count"] >= n_min[k]).sum())
        report["pandas_loop_s"] = round(time.perf_counter() - t, 2)
        report["pandas_qualifying_cells"] = cells
    base = report["duckdb_cube_s"] or 1e-9
    for key in ("pglearn_full_s", "pglearn_update_s", "pandas_loop_s"):
        if key in report:
            report[f"ratio_{key[:-2]}_vs_duckdb"] = round(report[key] / base, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
