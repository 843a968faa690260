"""The PM's hot path (issue 14): resolve_overrides under pgbench beside a primary-key select, and pglearn.OverrideCache.

On a scratch database (it publishes a generation of its own), with --overrides current overrides (10,000 by
default: 250 patterns x 4 categories x 10 scopes, lessons under the prefix pm.benchres. written straight into
learning_lessons and materialized by learning.materialize_overrides):
  1. pgbench, --clients clients (4), prepared, --seconds each, one after the other in one run:
     `SELECT * FROM learning.learning_lessons WHERE id = $1` (random id), then three calibration functions with
     resolve_overrides' signature and its SECURITY DEFINER / SET search_path header (created by the bench in the
     scratch schema bench_calib): one that only returns its input, one that runs one primary-key select (the ceiling
     of any plpgsql function that reads a table per call), one that runs resolve_overrides' decision statement alone
     (learning._resolve_decision: flags, match, document; no argument check, no telemetry), then resolve_overrides with a matching scope (random
     pattern and category; its telemetry written), then the same in read-only transactions (as on a hot standby,
     nothing written). TPS, p50 and p99 latency from pgbench's per-transaction log; the ratio to the primary-key
     select is the issue's target (>= 0.5, p99 <= 1 ms).
  2. telemetry bytes per call: growth of the telemetry relations over the pgbench run / its calls (the compact rows
     in the unlogged buffer), and the growth of the durable ones (hourly counters, full rows) by the roll-up
     (learning.flush_override_decisions) / the same calls.
  3. OverrideCache: resolves per second in one Python thread over --cases random cases (scopes, levers, controls),
     and the same --cases answered by SQL (`SELECT resolve_overrides(...)` in a read-only transaction): they must be
     identical but for "telemetry". Best of 3 rounds, with telemetry (OverrideCache(dsn): what a PM gets by default)
     and without; per wall-clock second and per second of the thread's CPU time (time.thread_time: on a shared
     machine the wall clock also counts the time other processes hold the core).
  4. reload: a new generation is materialized on another connection; the time from its commit until the cache
     answers from it (LISTEN pglearn_overrides), and the same with polling only (as on a hot standby).
Usage: .venv/bin/python bench/bench_resolve.py --dsn postgresql://postgres:...@127.0.0.1:54329/pglearn_bench
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python_client"))

PREFIX = "pm.benchres.p"
PATTERNS = 250
CATEGORIES = ("entry", "add", "trim", "exit")
DIMS = {"macro_phase": ["Recover", "Dip", "Good"], "meso_phase": ["Dip", "Good"], "micro_phase": ["Good", "Dip"],
        "bucket_leader": ["micro", "mid"], "bucket_rank_position": [1, 2, 3], "market_family": ["lowcaps", "midcaps"],
        "bucket": ["micro", "nano"], "timeframe": ["1h", "4h"], "A_mode": ["normal", "patient"], "E_mode": ["aggressive", "normal"]}
SCOPE = {"macro_phase": "Recover", "meso_phase": "Dip", "micro_phase": "Good", "bucket_leader": "micro",
         "bucket_rank_position": 1, "market_family": "lowcaps", "bucket": "micro", "timeframe": "1h",
         "A_mode": "normal", "E_mode": "aggressive"}
BASE = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}
CONTROLS = {"entry_delay_bars": 0, "phase1_frac": 0.15, "trail_speed": 1.0}
TELEMETRY = ("learning.override_decision_buffer", "learning.override_decision_counts", "learning.override_application")
# the calibration functions: resolve_overrides' signature and header, and nothing (or one primary-key select) inside
CALIBRATION = """
CREATE SCHEMA IF NOT EXISTS bench_calib;
CREATE OR REPLACE FUNCTION bench_calib.returns_input(pattern_key text, action_category text, scope jsonb,
                                                     base_levers jsonb, plan_controls jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, learning, pg_temp
AS $$ BEGIN RETURN base_levers; END $$;
CREATE OR REPLACE FUNCTION bench_calib.one_pk_select(pattern_key text, action_category text, scope jsonb,
                                                     base_levers jsonb, plan_controls jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, learning, pg_temp
AS $$
DECLARE v jsonb;
BEGIN
    SELECT l.scope_values INTO v FROM learning.learning_lessons AS l WHERE l.id = length(one_pk_select.pattern_key);  -- an index probe
    RETURN v;
END $$;
-- (created only where learning._resolve_decision exists, migration 0017 and later)
CREATE OR REPLACE FUNCTION bench_calib.decision_only(pattern_key text, action_category text, scope jsonb,
                                                     base_levers jsonb, plan_controls jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, learning, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE v jsonb;
BEGIN  -- resolve_overrides' one statement alone: no argument check, no telemetry
    SELECT d.doc INTO v FROM learning._resolve_decision(pattern_key, action_category, scope, base_levers, plan_controls,
                                                        'read_only') AS d;
    RETURN v;
END $$;
"""


def setup(conn: psycopg.Connection, overrides: int, seed: int) -> None:
    """overrides lessons (a pattern-wide one per pattern and category, so every call matches) and one generation."""
    rng = random.Random(seed)
    per = max(1, overrides // (PATTERNS * len(CATEGORIES)))
    rows, seen = [], set()
    for p in range(PATTERNS):
        for cat in CATEGORIES:
            scopes = [{}]
            while len(scopes) < per:
                dims = rng.sample(sorted(DIMS), rng.randint(1, 4))
                s = {d: rng.choice(DIMS[d]) for d in dims}
                key = (p, cat, json.dumps(s, sort_keys=True))
                if key not in seen:
                    seen.add(key)
                    scopes.append(s)
            for s in scopes:
                rows.append((f"{PREFIX}{p}", cat, Jsonb(s), round(rng.uniform(0.8, 1.2), 4), round(rng.uniform(0.85, 1.15), 4),
                             round(rng.uniform(0.3, 1.0), 4), rng.choice([None, 1, 2]), rng.choice([None, 0.8, 1.2]),
                             rng.choice([{}, {"min_ts_for_add": 0.6}])))
    with conn.transaction():
        conn.execute("DELETE FROM learning.learning_lessons WHERE pattern_key LIKE %s", (PREFIX + "%",))
        with conn.cursor() as cur:
            cur.executemany("""
                INSERT INTO learning.learning_lessons (pattern_key, action_category, scope_mask, scope_values_hash, scope_dims,
                    scope_values, effect, n, lesson_strength, decay_halflife_hours, last_epoch, last_confirmed_at)
                SELECT %(p)s, %(c)s,
                       (SELECT coalesce(sum(1 << d.bit), 0) FROM learning.scope_dimension AS d WHERE d.namespace = 'pm' AND %(s)s ? d.dim_name),
                       md5(%(s)s::text), ARRAY(SELECT jsonb_object_keys(%(s)s)), %(s)s,
                       jsonb_build_object('capital_levers', jsonb_build_object('size_mult', %(size)s::float, 'entry_aggression_mult', %(a)s::float,
                                                                                'exit_aggression_mult', 2 - %(a)s::float),
                                          'execution_levers', jsonb_strip_nulls(jsonb_build_object('entry_delay_bars', %(d)s::int,
                                              'trail_mult', %(t)s::float, 'signal_thresholds', %(th)s::jsonb))),
                       100, %(st)s, 720, now(), now()""",
                [{"p": r[0], "c": r[1], "s": r[2], "size": r[3], "a": r[4], "st": r[5], "d": r[6], "t": r[7], "th": Jsonb(r[8])}
                 for r in rows])
    n = conn.execute("SELECT learning.materialize_overrides(now())").fetchone()[0]
    print(f"setup: {len(rows)} lessons, current generation has {n} overrides", file=sys.stderr)


def telemetry_bytes(conn: psycopg.Connection) -> int:
    return sum(conn.execute(f"SELECT coalesce(pg_total_relation_size(to_regclass('{t}')), 0)").fetchone()[0] for t in TELEMETRY)


def pgbench(dsn: str, script: str, clients: int, seconds: int, read_only: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "s.sql").write_text(script)
        env = dict(os.environ, PGOPTIONS="-c default_transaction_read_only=on" if read_only else "")
        out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
                              "-l", "--log-prefix", f"{tmp}/log", "-f", f"{tmp}/s.sql", dsn],
                             capture_output=True, text=True, env=env, check=True).stdout
        lat = sorted(int(line.split()[2]) for f in Path(tmp).glob("log*") for line in f.read_text().splitlines())
    tps = next(float(line.split("=")[1].split()[0]) for line in out.splitlines() if line.startswith("tps"))
    failed = next((line for line in out.splitlines() if "failed" in line), "")
    return {"tps": round(tps), "calls": len(lat), "p50_ms": round(lat[len(lat) // 2] / 1000, 3),
            "p99_ms": round(lat[int(len(lat) * 0.99)] / 1000, 3), "failed": failed.strip()}


def _noop(pattern, category, scope, base, controls) -> dict:
    return {"levers": base, "controls": controls}


class _Noop:
    resolve = staticmethod(_noop)


def random_case(rng: random.Random) -> tuple:
    scope = {d: rng.choice(v) for d, v in DIMS.items()}
    if rng.random() < 0.1:
        scope["bucket_rank_position"] = str(scope["bucket_rank_position"])  # digit strings are normalised
    base = {"A_value": rng.choice([0.0, 0.3, 0.5, 0.95, 1.0]), "E_value": round(rng.random(), 3),
            "position_size_frac": rng.choice([0.1, 0.9, 1.0]), "other": "kept"}
    controls = {k: v for k, v in {"entry_delay_bars": rng.choice([0, 3]), "phase1_frac": rng.choice([0.15, 0.9]),
                                  "trim_delay": 3, "trail_speed": 1.0, "panic_trigger": 2.0, "min_ts_for_add": 0.5}.items()
                if rng.random() < 0.6}
    pattern = f"{PREFIX}{rng.randrange(PATTERNS + 5)}"  # a few patterns without overrides
    return pattern, rng.choice(CATEGORIES), scope, base, controls


def timed(cache, cases: list) -> tuple[int, int]:
    """Best of 3 rounds over the cases: resolves per wall-clock second and per second of this thread's CPU time."""
    wall, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.thread_time()
        for case in cases:
            cache.resolve(*case)
        wall.append(len(cases) / (time.perf_counter() - t))
        cpu.append(len(cases) / max(time.thread_time() - c, 1e-9))
    return round(max(wall)), round(max(cpu))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True, help="a scratch database: the bench publishes a generation of its own")
    ap.add_argument("--overrides", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--skip-setup", action="store_true")
    ap.add_argument("--skip-cache", action="store_true", help="pgbench only")
    args = ap.parse_args()
    report: dict = {"overrides": args.overrides, "clients": args.clients, "seconds": args.seconds}
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        if not args.skip_setup:
            setup(conn, args.overrides, args.seed)
        report["current_overrides"] = conn.execute(
            "SELECT count(*) FROM learning.runtime_override JOIN learning.override_current USING (generation)").fetchone()[0]
        max_id = conn.execute("SELECT max(id) FROM learning.learning_lessons").fetchone()[0]
        pk = f"\\set id random(1, {max_id})\nSELECT * FROM learning.learning_lessons WHERE id = :id;\n"
        call = (f"\\set p random(0, {PATTERNS - 1})\n\\set c random(1, 4)\n"
                f"SELECT __FN__('{PREFIX}' || :p, (ARRAY['entry', 'add', 'trim', 'exit'])[:c], "
                f"'{json.dumps(SCOPE)}', '{json.dumps(BASE)}', '{json.dumps(CONTROLS)}');\n")
        resolve = call.replace("__FN__", "resolve_overrides")
        report["pk_select"] = pgbench(args.dsn, pk, args.clients, args.seconds)
        conn.execute(CALIBRATION)
        has_decision = conn.execute("SELECT to_regproc('learning._resolve_decision') IS NOT NULL").fetchone()[0]
        for name in ("returns_input", "one_pk_select") + (("decision_only",) if has_decision else ()):
            report[f"calibration_plpgsql_{name}"] = pgbench(args.dsn, call.replace("__FN__", f"bench_calib.{name}"), args.clients,
                                                            args.seconds)
        has_buffer = conn.execute("SELECT to_regclass('learning.override_decision_buffer') IS NOT NULL").fetchone()[0]
        if has_buffer:  # start from an empty buffer, its pages returned
            conn.execute("SELECT learning.flush_override_decisions()")
            conn.execute("VACUUM learning.override_decision_buffer")
        before = telemetry_bytes(conn)
        report["resolve_match"] = pgbench(args.dsn, resolve, args.clients, args.seconds)
        calls = report["resolve_match"]["calls"]
        report["telemetry_bytes_per_call"] = round((telemetry_bytes(conn) - before) / calls, 1)
        if has_buffer:  # what stays: the hourly counters (the buffer's pages are reused, its size bounded by a minute's calls)
            durable = TELEMETRY[1:]
            size = "SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0)::bigint FROM unnest(%s::text[]) AS t"
            kept = conn.execute(size, (list(durable),)).fetchone()[0]
            conn.execute("SELECT learning.flush_override_decisions()")
            report["durable_telemetry_bytes_per_call_after_rollup"] = round(
                (conn.execute(size, (list(durable),)).fetchone()[0] - kept) / calls, 2)
        report["resolve_match_read_only"] = pgbench(args.dsn, resolve, args.clients, args.seconds, read_only=True)
        for k in ("calibration_plpgsql_returns_input", "calibration_plpgsql_one_pk_select",
                  "calibration_plpgsql_decision_only", "resolve_match", "resolve_match_read_only"):
            if k in report:
                report[f"ratio_{k}_vs_pk"] = round(report[k]["tps"] / report["pk_select"]["tps"], 2)

        if args.skip_cache:
            print(json.dumps(report, indent=2))
            return
        from pglearn import OverrideCache
        from pglearn.progress import bar

        # the cache: identical answers, speed, reload
        rng = random.Random(args.seed)
        cases = [random_case(rng) for _ in range(args.cases)]
        with OverrideCache(args.dsn, telemetry=False) as cache:
            conn.execute("BEGIN READ ONLY")
            mismatches = 0
            for c in bar(cases, desc="cache = SQL?", unit="case"):
                sql = conn.execute("SELECT resolve_overrides(%s, %s, %s, %s, %s)", (c[0], c[1], *map(Jsonb, c[2:]))).fetchone()[0]
                mine = cache.resolve(*c)
                sql.pop("telemetry"), (mine := dict(mine)).pop("telemetry")
                mismatches += sql != mine
            conn.execute("COMMIT")
            report["cache_cases"], report["cache_mismatches"] = len(cases), mismatches
            report["cache_resolves_per_s_no_telemetry"], report["cache_resolves_per_cpu_s_no_telemetry"] = timed(cache, cases)
        with OverrideCache(args.dsn, flush_interval=60) as cache:  # the default: telemetry counters, shipped in batches
            plain = [c for c in cases if type(c[2]["bucket_rank_position"]) is int]
            report["cache_resolves_per_s_with_telemetry"], report["cache_resolves_per_cpu_s_with_telemetry"] = timed(cache, cases)
            report["cache_resolves_per_s_with_telemetry_integer_ranks"] = timed(cache, plain)[0]
            t = time.perf_counter()
            shipped = cache.flush()
            report["cache_flush_s"] = round(time.perf_counter() - t, 3)
            report["cache_counters_shipped"] = shipped
        # calibration: the same loop around a function that only builds a small dict (how busy this machine is)
        report["python_noop_calls_per_s"], report["python_noop_calls_per_cpu_s"] = timed(_Noop, cases)
        for label, kwargs in (("listen", {}), ("poll_only", {"listen": False, "poll_interval": 0.5})):
            with OverrideCache(args.dsn, telemetry=False, **kwargs) as c2:  # one cache at a time: the loads share the GIL
                delays, loads = [], []
                for _ in range(3):
                    conn.execute("SELECT learning.materialize_overrides(now())")
                    gen = conn.execute("SELECT generation FROM learning.override_current").fetchone()[0]
                    t = time.perf_counter()
                    while c2.generation != gen and time.perf_counter() - t < 10:
                        time.sleep(0.002)
                    delays.append(time.perf_counter() - t)
                    loads.append(c2.last_load_seconds)
                report[f"reload_s_{label}_max"] = round(max(delays), 3)
                report[f"reload_load_s_{label}_max"] = round(max(loads), 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
