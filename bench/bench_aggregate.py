"""Aggregation benchmark: pglearn's cube (roll-up rebuild and fold-in) vs DuckDB's CUBE vs a pandas loop over the masks.

Measured side by side in one run on the same rows (docs/operations.md, "Scaling"; issue 13):
  1. full rebuild at depth 10 (tunables.max_subset_size; the full cube DuckDB and pandas compute) and at --depth
     (default 4, the shipped depth): learning.aggregate_pattern_scope_stats over the --trades first trades;
  2. fold-in into the default-depth cube: learning.fold_in_closes of the next 1, 100 and 1,000 closes (each taken
     from learning.scope_fold_queue and merged; a close shows in the stats at the next run of the every-minute job);
  3. DuckDB GROUP BY CUBE over the same facts (n, sum rr, sum rr^2 per cell, n >= N_min(k)); its count of qualifying
     cells per subset size k is checked against the cells pglearn's depth-10 rebuild wrote;
  4. pandas: one groupby per mask (1,023 + the pattern-wide one), same aggregates.
Ratios are reported relative to DuckDB. Usage: .venv/bin/python bench/bench_aggregate.py --trades 100000
(--skip-depth-10: only the default depth, for 1,000,000 trades; --skip-pglearn --skip-pandas: only the generator and
DuckDB, to size the output)
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import psycopg

from pglearn.progress import bar
from pglearn.synthetic import generate
from scratch import scratch_database

DIMS = ["macro_phase", "meso_phase", "micro_phase", "bucket_leader", "bucket_rank_position", "market_family", "bucket",
        "timeframe", "A_mode", "E_mode"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:54329/pglearn")
    ap.add_argument("--trades", type=int, default=100_000)
    ap.add_argument("--patterns", type=int, default=40)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--depth", type=int, default=4, help="the default depth (tunables.max_subset_size) measured beside 10")
    ap.add_argument("--fold-ins", default="1,100,1000", help="the fold-ins measured, in closes (comma-separated)")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--skip-depth-10", action="store_true", help="rebuild at --depth only (1,000,000 trades)")
    ap.add_argument("--skip-pglearn", action="store_true",
                    help="generate and run DuckDB only: the size of the output (qualifying cells per k) at large sizes")
    args = ap.parse_args()
    fold_ins = [int(x) for x in args.fold_ins.split(",") if x]
    dsn = scratch_database(args.dsn, "pglearn_bench_aggregate")
    report: dict = {"trades": args.trades, "patterns": args.patterns, "depth": args.depth}
    depth_sql = ("UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,max_subset_size}', %s)"
                 " WHERE config_key = 'pm_config'")
    with psycopg.connect(dsn) as conn:
        t = time.perf_counter()
        generate(conn, trades=args.trades + sum(fold_ins), weeks=args.weeks, patterns=args.patterns, seed=1)
        report["load_s"] = round(time.perf_counter() - t, 1)
        closes = [c for (c,) in conn.execute("SELECT closed_at FROM learning.completed_trades ORDER BY closed_at, position_id")]
        cut = closes[args.trades - 1]
        conn.commit()
        if not args.skip_pglearn:
            for depth in ([] if args.skip_depth_10 else [10]) + [args.depth]:
                conn.execute(depth_sql, (str(depth),))
                conn.commit()
                t = time.perf_counter()
                cells = conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (cut,)).fetchone()[0]
                conn.commit()
                report[f"pglearn_rebuild_depth_{depth}_s"] = round(time.perf_counter() - t, 2)
                report[f"cells_depth_{depth}"] = cells
                report[f"pglearn_rows_per_k_depth_{depth}"] = dict(conn.execute(
                    "SELECT k, count(*) FROM learning.pattern_scope_stats"
                    " WHERE split_part(pattern_key, '.', 1) = 'pm' GROUP BY 1 ORDER BY 1").fetchall())
            # fold-ins into the default-depth cube, as of the 1st, 101st and 1,101st close after the cut
            done = args.trades
            for count in fold_ins:
                done += count
                t = time.perf_counter()
                taken = conn.execute("SELECT learning.fold_in_closes(%s)", (closes[done - 1],)).fetchone()[0]
                conn.commit()
                report[f"fold_in_{count}_closes_s"] = round(time.perf_counter() - t, 3)
                report[f"fold_in_{count}_closes_taken"] = taken
            report["cells_after_fold_ins"] = conn.execute("SELECT count(*) FROM learning.pattern_scope_stats").fetchone()[0]
        n_min = dict(conn.execute(f"SELECT k, learning.n_min(k) FROM generate_series(0, {len(DIMS)}) AS k").fetchall())
        facts = conn.execute(
            "SELECT DISTINCT ON (a.pattern_key, a.action_category, a.position_id) a.pattern_key, a.action_category,"
            " a.scope_vec, t.rr FROM learning.action_log a JOIN learning.completed_trades t USING (position_id)"
            " WHERE split_part(a.pattern_key, '.', 1) = 'pm' AND t.closed_at <= %s"
            " ORDER BY a.pattern_key, a.action_category, a.position_id, a.ts", (cut,)
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
    if "pglearn_rows_per_k_depth_10" in report:
        report["pglearn_rows_match_duckdb"] = report["pglearn_rows_per_k_depth_10"] == report["duckdb_qualifying_cells_per_k"]
    if f"pglearn_rows_per_k_depth_{args.depth}" in report:
        report["pglearn_rows_match_duckdb_to_depth"] = report[f"pglearn_rows_per_k_depth_{args.depth}"] == {
            k: n for k, n in report["duckdb_qualifying_cells_per_k"].items() if k <= args.depth}
    if not args.skip_pandas:
        t = time.perf_counter()
        cells = 0
        for k in bar(range(0, len(DIMS) + 1), desc="pandas cuboids, by subset size", unit=" k"):
            for combo in itertools.combinations(DIMS, k):
                g = df.groupby(["pattern_key", "action_category", *combo], sort=False)["rr"].agg(["count", "sum"])
                cells += int((g["count"] >= n_min[k]).sum())
        report["pandas_loop_s"] = round(time.perf_counter() - t, 2)
        report["pandas_qualifying_cells"] = cells
    base = report["duckdb_cube_s"] or 1e-9
    for key in ("pglearn_rebuild_depth_10_s", f"pglearn_rebuild_depth_{args.depth}_s", "pandas_loop_s"):
        if key in report:
            report[f"ratio_{key[:-2]}_vs_duckdb"] = round(report[key] / base, 2)
    if "pglearn_rebuild_depth_10_s" in report and "pandas_loop_s" in report:
        report["pandas_loop_vs_pglearn_depth_10"] = round(report["pandas_loop_s"] / report["pglearn_rebuild_depth_10_s"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
