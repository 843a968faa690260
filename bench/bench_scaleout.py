"""Scale-out benchmark (issue 16): the PM's calls and one learning cycle on one node vs a PL/Proxy router with 2
shards (db/scaleout/, pglearn.scaleout.deploy), side by side on the same history and the same server.

Databases bench_so_src (the generated history), bench_so_one (one node), bench_so_router, bench_so_shard_0/1 are
created beside --dsn and dropped at the end. The same actions and trades are logged and closed through
learning.log_action / learning.close_trade on one node and on the router (one connection each, one call a
statement, autocommit; the two sides interleaved 200 calls at a time, so that both see the same background load),
then --cycles learning cycles run on each, a week apart (learning.run_learning_cycle vs scaleout.run_learning_cycle:
the shards learn their own patterns, the router what spans patterns, in rounds; docs/operations.md "Scaling out"),
the two sides alternating which goes first, then --resolves resolve_overrides calls on scopes of the published
overrides. Reported: calls per second, a cycle's mean seconds (with the router's phases and the kB of JSON each round
moved, of the last cycle), and the router / one-node ratios.
On one machine the shards share its CPUs and disk with the router: this measures the routing overhead (one more
connection hop per call; the rounds of a cycle), not a speed-up (docs/operations.md, "Scaling out").
Usage: .venv/bin/python bench/bench_scaleout.py --dsn "$(db/cluster.sh dsn dev)" --trades 3000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta

import psycopg
from psycopg.types.json import Jsonb

from pglearn.progress import bar
from pglearn.scaleout import deploy
from pglearn.synthetic import generate
from scratch import drop_database, scratch_database

NAMES = ("bench_so_one", "bench_so_router", "bench_so_shard_0", "bench_so_shard_1")
TUNE = """UPDATE learning.learning_configs
          SET config = jsonb_set(jsonb_set(config, '{tunables,fdr_q}', '0.5'), '{tunables,edge_min}', '0.1')
          WHERE config_key = 'pm_config'"""


def _db(dsn: str, name: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/" + name


def _rates(conns: dict[str, psycopg.Connection], sql: str, rows: list[tuple], chunk: int = 200) -> dict[str, float]:
    """Calls per second of sql over rows on each connection, interleaved chunk by chunk (one node, then the router,
    then the next chunk), so both sides see the same background load of this shared machine."""
    spent = dict.fromkeys(conns, 0.0)
    for i in bar(range(0, len(rows), chunk), desc=sql.split('(')[0].removeprefix('SELECT '), unit='chunk'):
        for label, conn in conns.items():
            t = time.perf_counter()
            with conn.cursor() as cur:
                for row in rows[i:i + chunk]:
                    cur.execute(sql, row)
            spent[label] += time.perf_counter() - t
    return {label: round(len(rows) / spent[label]) for label in conns}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:54329/pglearn")
    ap.add_argument("--trades", type=int, default=3000)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--patterns", type=int, default=8)
    ap.add_argument("--resolves", type=int, default=2000)
    ap.add_argument("--cycles", type=int, default=3, help="learning cycles per side, a week apart, ending after the last close")
    args = ap.parse_args()
    src = scratch_database(args.dsn, "bench_so_src")
    with psycopg.connect(src) as conn:
        conn.execute(TUNE)
        generate(conn, trades=args.trades, weeks=args.weeks, patterns=args.patterns, seed=3)
        actions = [(p, k, t, Jsonb(s), Jsonb(c), ts) for p, k, t, s, c, ts in conn.execute(
            "SELECT position_id, pattern_key, action_type, scope, controls, ts FROM learning.action_log ORDER BY id")]
        trades = [(p, rr, at, Jsonb(d)) for p, rr, at, d in conn.execute(
            "SELECT position_id, rr, closed_at, details FROM learning.completed_trades ORDER BY closed_at, position_id")]
        as_of = conn.execute("SELECT max(closed_at) + interval '1 day' FROM learning.completed_trades").fetchone()[0]
    tmpl = scratch_database(args.dsn, "bench_so_tmpl")
    with psycopg.connect(tmpl) as conn:
        conn.execute(TUNE)
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        # the migration's own connection (yoyo's) may still be open: the template must have no session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'bench_so_tmpl'")
        for name in NAMES:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name} TEMPLATE bench_so_tmpl")
    one, router = _db(args.dsn, NAMES[0]), _db(args.dsn, NAMES[1])
    deploy(router, [_db(args.dsn, n) for n in NAMES[2:]], run_migrations=False)
    report: dict = {"trades": len(trades), "actions": len(actions), "patterns": args.patterns, "shards": 2}
    try:
        conns = {"one_node": psycopg.connect(one, autocommit=True), "two_shards": psycopg.connect(router, autocommit=True)}
        report["one_node"], report["two_shards"] = {}, {}
        for key, sql, rows in (("log_action_per_s", "SELECT learning.log_action(%s, %s, %s, %s, %s, %s)", actions),
                               ("close_trade_per_s", "SELECT learning.close_trade(%s, %s, %s, %s)", trades)):
            for label, rate in _rates(conns, sql, rows).items():
                report[label][key] = rate
        # --cycles learning cycles walking forward a week at a time to the end of the history, the two sides
        # alternating which goes first, so both see the same background load; reported: the mean of each side
        cycles = {"one_node": "learning.run_learning_cycle", "two_shards": "scaleout.run_learning_cycle"}
        spent: dict[str, list[float]] = {label: [] for label in cycles}
        for step in range(args.cycles):
            at = as_of - timedelta(weeks=args.cycles - 1 - step)
            for label in (list(cycles) if step % 2 == 0 else list(cycles)[::-1]):
                t = time.perf_counter()
                result = conns[label].execute(f"SELECT {cycles[label]}(%s)", (at,)).fetchone()[0]
                spent[label].append(time.perf_counter() - t)
                assert result["ok"], result
                r = report[label]
                r["cycle_jobs_ms"] = {j["job"]: j["ms"] for j in result["jobs"]}
                if "ms" in result:
                    r["cycle_steps_ms"] = result["ms"]
                if "kb" in result:
                    r["cycle_kb"] = result["kb"]
        learned = """SELECT (SELECT count(*) FROM learning.learning_lessons),
                            (SELECT n_overrides FROM learning.override_current JOIN learning.override_generation USING (generation))"""
        assert conns["one_node"].execute(learned).fetchone() == conns["two_shards"].execute(learned).fetchone(), \
            "the router learned as many lessons and overrides as one node"
        for label, times in spent.items():
            report[label]["cycle_s"] = round(sum(times) / len(times), 2)
            report[label]["cycle_s_each"] = [round(x, 2) for x in times]
        picks = conns["one_node"].execute("""SELECT o.pattern_key, o.action_category, a.scope
                                FROM learning.runtime_override AS o JOIN learning.override_current USING (generation)
                                CROSS JOIN LATERAL (SELECT a.scope FROM learning.action_log AS a
                                                    WHERE a.pattern_key = o.pattern_key AND a.scope @> o.scope_values
                                                    ORDER BY a.id LIMIT 1) AS a""").fetchall()
        report["overrides"] = len(picks)
        if picks:
            rng = random.Random(1)
            levers = Jsonb({"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1})
            calls = [(k, c, Jsonb(s), levers, Jsonb({})) for k, c, s in (rng.choice(picks) for _ in range(args.resolves))]
            for label, rate in _rates(conns, "SELECT learning.resolve_overrides(%s, %s, %s, %s, %s)", calls).items():
                report[label]["resolve_per_s"] = rate
        for conn in conns.values():
            conn.close()
        report["ratio_two_shards_over_one_node"] = {
            k: round(report["two_shards"][k] / report["one_node"][k], 2)
            for k in ("log_action_per_s", "close_trade_per_s", "resolve_per_s", "cycle_s") if k in report["one_node"]}
        print(json.dumps(report, indent=2))
    finally:
        for name in NAMES + ("bench_so_tmpl", "bench_so_src"):
            drop_database(args.dsn, name)


if __name__ == "__main__":
    main()
