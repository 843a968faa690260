"""Aggregation benchmark: pglearn's cube (roll-up rebuild and fold-in) vs DuckDB's CUBE vs a pandas loop over the masks.

Measured side by side in one run on the same rows (docs/operations.md, "Scaling"; issue 13):
  1. full rebuild at depth 10 (tunables.max_subset_size; the full cube DuckDB and pandas compute) and at --depth
     (default 4, the shipped depth): learning.aggregate_pattern_scope_stats over the --trades first trades;
  2. fold-in into the default-depth cube: learning.fold_in_closes of the next 1, 100 and 1,000 closes (each taken
     from learning.scope_fold_queue and merged; a close shows in the stats at the next run of the every-minute job);
  3. DuckDB GROUP BY CUBE over the same facts (n, sum rr, sum rr^2 per cell, n >= N_min(k)); its count of qualifying
     cells per subset size k is checked against the cells pglearn's depth-10 rebuild wrote;
  4. pandas: one groupby per mask (1,023 + the pattern-wide one), same aggregates;
  5. beside 3, not instead of it: DuckDB's CUBE computing every mergeable sum pglearn stores per cell (equal work: the
     30 sums of learning._cube_measures, each fact's values from the rebuild's own SQL, and the week bitmap's OR as a
     128-bit integer), duckdb_cube_all_sums_s, with pglearn's ratios to it.
Ratios are reported relative to DuckDB (both runs). --db names the scratch database, --reuse keeps it when it holds
the same history (generation takes minutes at 100,000 trades): it is migrated and the rebuilds run as of the cut.
Usage: .venv/bin/python bench/bench_aggregate.py --trades 100000
(--skip-depth-10: only the default depth, for 1,000,000 trades; --skip-pglearn --skip-pandas: only the generator and
DuckDB, to size the output)
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import psycopg
import psycopg.sql

from pglearn import migrate as mig
from pglearn.progress import bar
from pglearn.synthetic import generate
from scratch import scratch_database

DIMS = ["macro_phase", "meso_phase", "micro_phase", "bucket_leader", "bucket_rank_position", "market_family", "bucket",
        "timeframe", "A_mode", "E_mode"]


def reused_database(dsn: str, name: str, history: dict) -> str | None:
    """--reuse: the DSN of database `name`, migrated, when its comment says it holds `history`; else None."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        row = admin.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                            (name,)).fetchone()
    if row is None or row[0] != json.dumps(history, sort_keys=True):
        return None
    scratch = dsn.rsplit("/", 1)[0] + "/" + name
    mig.migrate(scratch)
    return scratch


def fact_measures(conn, cut) -> tuple[list, list[str]]:
    """The pm facts closed by cut with the per-fact value of every summed measure of learning._cube_measures (the SQL
    of the rebuild's base, learning._cube_fact_context, against the frame of the last rebuild when there is one, else
    week0 = the first close's week and a coherence baseline of 0) and the fact's week bit; and the summed columns."""
    rows = conn.execute("SELECT col, per_fact FROM learning._cube_measures() WHERE merge = 'sum' ORDER BY ord").fetchall()
    sums = [c for c, _ in rows]
    ctx = conn.execute("SELECT learning._cube_fact_context()").fetchone()[0]  # $1 week0, $2 ref_hold_hours, $3 bitmap width
    h = conn.execute("SELECT (learning.pm_config() #>> '{tunables,ref_hold_hours}')::float8").fetchone()[0]
    week0, nw = conn.execute(
        "SELECT coalesce((SELECT min(week0) FROM learning.scope_cube_frame), date_trunc('week', min(closed_at))::date),"
        " coalesce((SELECT min(week_bits) FROM learning.scope_cube_frame), 200) FROM learning.completed_trades").fetchone()
    cols = ", ".join(f"({expr})::float8 AS {col}" for col, expr in rows)
    return conn.execute(
        f"SELECT f.pattern_key, f.action_category, f.scope_vec, {cols}, x.wk FROM learning._trade_facts('-infinity', %s) AS f"
        " LEFT JOIN (SELECT action_category, coherence_baseline FROM learning.scope_cube_frame UNION ALL"
        "            SELECT c, 0 FROM unnest(ARRAY['entry', 'exit']) AS c"
        "            WHERE NOT EXISTS (SELECT 1 FROM learning.scope_cube_frame)) AS fr ON fr.action_category = f.action_category "
        f"{ctx.replace('%', '%%').replace('$1', '%s').replace('$2', '%s').replace('$3', '%s')}"
        " WHERE split_part(f.pattern_key, '.', 1) = 'pm'",
        (cut, week0, h, nw, week0)).fetchall(), sums


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
    ap.add_argument("--db", default="pglearn_bench_aggregate", help="the scratch database on --dsn's server")
    ap.add_argument("--reuse", action="store_true",
                    help="keep --db when it already holds this history (same --trades, --patterns, --weeks and fold-ins):"
                         " migrate it (the functions as they are now) and skip the generation")
    ap.add_argument("--skip-pglearn", action="store_true",
                    help="generate and run DuckDB only: the size of the output (qualifying cells per k) at large sizes")
    args = ap.parse_args()
    fold_ins = [int(x) for x in args.fold_ins.split(",") if x]
    report: dict = {"trades": args.trades, "patterns": args.patterns, "depth": args.depth}
    history = {"trades": args.trades + sum(fold_ins), "weeks": args.weeks, "patterns": args.patterns, "seed": 1}
    dsn = reused_database(args.dsn, args.db, history) if args.reuse else None
    report["reused_history"] = dsn is not None
    depth_sql = ("UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,max_subset_size}', %s)"
                 " WHERE config_key = 'pm_config'")
    dsn = dsn or scratch_database(args.dsn, args.db)
    with psycopg.connect(dsn) as conn:
        if not report["reused_history"]:
            t = time.perf_counter()
            generate(conn, **history)
            conn.execute(psycopg.sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                psycopg.sql.Identifier(args.db), psycopg.sql.Literal(json.dumps(history, sort_keys=True))))
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
        measures, sums = fact_measures(conn, cut)
    report["facts"] = len(facts)

    import duckdb
    import pandas as pd

    df = pd.DataFrame([(p, c, *v, rr) for p, c, v, rr in facts], columns=["pattern_key", "action_category", *DIMS, "rr"])
    con = duckdb.connect()
    con.register("facts", df)
    dims = ", ".join(DIMS)
    k_expr = f"{len(DIMS)} - bit_count(GROUPING({dims})::int)"
    nmin_expr = f"list_extract({[n_min[k] for k in range(len(DIMS) + 1)]}, k + 1)"

    def cube(table: str, aggs: str) -> tuple[list, float]:
        """DuckDB's CUBE over the facts of `table` with the aggregates `aggs`: qualifying cells per k, and seconds."""
        t = time.perf_counter()
        rows = con.execute(
            f"SELECT k, count(*) FROM (SELECT pattern_key, action_category, {dims}, {k_expr} AS k, {aggs}"
            f" FROM {table} GROUP BY pattern_key, action_category, CUBE ({dims}))"
            f" WHERE n >= {nmin_expr} GROUP BY k ORDER BY k"
        ).fetchall()
        return rows, round(time.perf_counter() - t, 2)

    per_k, report["duckdb_cube_s"] = cube("facts", "count(*) AS n, sum(rr), sum(rr * rr)")
    # equal work: the same CUBE with every mergeable sum pglearn stores per cell (learning._cube_measures: 30 sums and
    # the week bitmap's OR, here a 128-bit integer), each fact's values computed by the same SQL as the rebuild's base
    dfm = pd.DataFrame([(p, c, *v, *rest) for p, c, v, *rest in measures],
                       columns=["pattern_key", "action_category", *DIMS, *sums, "wk"])
    con.register("facts_m", dfm)
    aggs = ", ".join(f"sum({c}) AS {c}" for c in sums)
    per_k_sums, report["duckdb_cube_all_sums_s"] = cube(
        "facts_m", f"{aggs}, bit_count(bit_or((1::HUGEINT) << wk::INTEGER)) AS weeks")
    report["duckdb_cube_all_sums_cells_match"] = {int(k): int(n) for k, n in per_k_sums} == report.get(
        "duckdb_qualifying_cells_per_k", {int(k): int(n) for k, n in per_k})
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
    base_sums = report["duckdb_cube_all_sums_s"] or 1e-9
    for key in ("pglearn_rebuild_depth_10_s", f"pglearn_rebuild_depth_{args.depth}_s", "pandas_loop_s"):
        if key in report:
            report[f"ratio_{key[:-2]}_vs_duckdb"] = round(report[key] / base, 2)
    for key in ("pglearn_rebuild_depth_10_s", f"pglearn_rebuild_depth_{args.depth}_s"):
        if key in report:  # beside the ratio above: against DuckDB doing the same work (every sum pglearn stores)
            report[f"ratio_{key[:-2]}_vs_duckdb_all_sums"] = round(report[key] / base_sums, 2)
    if "pglearn_rebuild_depth_10_s" in report and "pandas_loop_s" in report:
        report["pandas_loop_vs_pglearn_depth_10"] = round(report["pandas_loop_s"] / report["pglearn_rebuild_depth_10_s"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
