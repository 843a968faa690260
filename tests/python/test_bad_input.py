"""Bad input through the client, the importer and the CLI (issue 11): each malformed input is refused with its
SQLSTATE (or a non-zero exit and one stderr line, never a traceback) and changes no table; a poison row that got in
anyway cannot stop a learning cycle. The SQL side is tests/pgtap/10_log/bad_input.sql."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

import pglearn
from conftest import SEED_CONTROLS, SEED_SCOPE
from pglearn.importer import ImportLineError, import_history

T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)
COUNTED = ("action_log", "completed_trades", "override_application", "pattern_scope_stats", "learning_lessons")
LEVERS = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}


def state(conn) -> tuple:
    """Row counts of the written tables and the config documents: what a refused input must leave unchanged."""
    counts = tuple(conn.execute(f"SELECT count(*) FROM learning.{t}").fetchone()[0] for t in COUNTED)
    configs = conn.execute("SELECT md5(string_agg(config::text, ',' ORDER BY config_key)) FROM learning.learning_configs").fetchone()
    return counts + configs


@pytest.fixture()
def seeded(client, conn):
    client.log_action("open", "pm.bad.in", "E1", SEED_SCOPE, SEED_CONTROLS, ts=T0)
    client.log_action("done", "pm.bad.in", "E1", SEED_SCOPE, SEED_CONTROLS, ts=T0)
    client.close_trade("done", 1.0, closed_at=T0 + timedelta(hours=1))
    return client


# ------------------------------------------------------------------------------------------------ the client
CLIENT_CASES = [
    ("rank 1e30", lambda c: c.log_action("p", "pm.a", "E1", {**SEED_SCOPE, "bucket_rank_position": 1e30}, SEED_CONTROLS), "22023"),
    ("rank 1.5", lambda c: c.log_action("p", "pm.a", "E1", {**SEED_SCOPE, "bucket_rank_position": 1.5}, SEED_CONTROLS), "22023"),
    ("rank NaN", lambda c: c.log_action("p", "pm.a", "E1", {**SEED_SCOPE, "bucket_rank_position": math.nan}, SEED_CONTROLS),
     "22023"),
    ("rank string", lambda c: c.log_action("p", "pm.a", "E1", {**SEED_SCOPE, "bucket_rank_position": "1"}, SEED_CONTROLS), "22023"),
    ("3,000-character position_id", lambda c: c.log_action("p" * 3000, "pm.a", "E1", SEED_SCOPE, SEED_CONTROLS), "22023"),
    ("3,000-character pattern_key", lambda c: c.log_action("p", "pm." + "k" * 3000, "E1", SEED_SCOPE, SEED_CONTROLS), "22023"),
    ("NUL in position_id", lambda c: c.log_action("p\x00", "pm.a", "E1", SEED_SCOPE, SEED_CONTROLS), "22023"),
    ("signal inf", lambda c: c.log_action("p", "pm.a", "E1", SEED_SCOPE, {"signals": {"TS": math.inf}, "applied_knobs": {}}),
     "22023"),
    ("knob 1e7", lambda c: c.log_action("p", "pm.a", "E1", SEED_SCOPE, {"signals": {}, "applied_knobs": {"trim_delay": 1e7}}),
     "22023"),
    ("rr 1e200", lambda c: c.close_trade("open", 1e200, closed_at=T0 + timedelta(hours=2)), "22023"),
    ("rr -inf", lambda c: c.close_trade("open", -math.inf, closed_at=T0 + timedelta(hours=2)), "22023"),
    ("cf_exit_gain_rr inf", lambda c: c.close_trade("open", 1.0, closed_at=T0 + timedelta(hours=2),
                                                    details={"cf_exit_gain_rr": math.inf}), "22023"),
    ("cf_entry_gain_rr 500", lambda c: c.close_trade("open", 1.0, closed_at=T0 + timedelta(hours=2),
                                                     details={"cf_entry_gain_rr": 500.0}), "22023"),
    ("cf_entry_delay_bars 9", lambda c: c.close_trade("open", 1.0, closed_at=T0 + timedelta(hours=2),
                                                      details={"cf_entry_delay_bars": 9}), "22023"),
    ("resolve: rank as a 20-digit string",
     lambda c: c.resolve_overrides("pm.a", "entry", {**SEED_SCOPE, "bucket_rank_position": "99999999999999999999"}, LEVERS), "22023"),
    ("resolve: base lever inf", lambda c: c.resolve_overrides("pm.a", "entry", SEED_SCOPE, {**LEVERS, "A_value": math.inf}), "22023"),
    ("resolve: negative size", lambda c: c.resolve_overrides("pm.a", "entry", SEED_SCOPE, {**LEVERS, "position_size_frac": -0.1}),
     "22023"),
    ("resolve: E_value 1.5", lambda c: c.resolve_overrides("pm.a", "entry", SEED_SCOPE, {**LEVERS, "E_value": 1.5}), "22023"),
    ("resolve: control nan", lambda c: c.resolve_overrides("pm.a", "entry", SEED_SCOPE, LEVERS, {"phase1_frac": math.nan}), "22023"),
    ("resolve: malformed key", lambda c: c.resolve_overrides("bad key", "entry", SEED_SCOPE, LEVERS), "22023"),
    ("explain: malformed key", lambda c: c.explain_override("not a pattern", "entry", SEED_SCOPE), "22023"),
]


@pytest.mark.parametrize("what, call, sqlstate", CLIENT_CASES, ids=[c[0] for c in CLIENT_CASES])
def test_client_refuses(seeded, conn, what, call, sqlstate):
    before = state(conn)
    conn.execute("SAVEPOINT s")
    with pytest.raises(pglearn.PglearnError) as info:
        call(seeded)
    conn.execute("ROLLBACK TO SAVEPOINT s")
    assert info.value.sqlstate == sqlstate, what
    assert info.value.hint, "every refusal carries a HINT"
    assert state(conn) == before, f"{what}: a refused call changed a table"


@pytest.mark.parametrize("sql, params", [
    ("SELECT learning.record_override_application(%s, %s, %s::jsonb, %s::jsonb)", ("not a pattern", "hold", "[1]", "{}")),
    ("SELECT learning.record_override_application(%s, %s, %s::jsonb, %s::jsonb)",
     ("pm.a", "entry", "{}", '{"levers": {}, "controls": {}, "generation": 1e30}')),
    ("UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,cf_min_n}', %s::jsonb) WHERE config_key = 'pm_config'",
     ('"five"',)),
    ("UPDATE learning.learning_configs SET config = jsonb_set(config, '{tunables,rr_baseline}', %s::jsonb) WHERE config_key = 'pm_config'",
     ("1e308",)),
    ("INSERT INTO learning.learning_configs (config_key, config) VALUES (%s, '[]')", ("pattern_override",)),
], ids=["record_override_application", "record generation 1e30", "config cf_min_n five", "config rr_baseline 1e308",
        "unknown config_key"])
def test_sql_refuses_with_22023(seeded, conn, sql, params):
    before = state(conn)
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.Error) as info:
        conn.execute(sql, params)
    conn.execute("ROLLBACK TO SAVEPOINT s")
    assert info.value.sqlstate == "22023"
    assert info.value.diag.message_hint
    assert state(conn) == before


def test_python_float_for_an_integer_dimension_is_stored_as_the_integer(client, conn):
    client.log_action("f1", "pm.bad.in", "E1", {**SEED_SCOPE, "bucket_rank_position": 1.0}, SEED_CONTROLS, ts=T0)
    # and sent unnormalised (another client, a COPY), the database normalises it the same way
    conn.execute("SELECT learning.log_action('f2', 'pm.bad.in', 'E1', %s::jsonb, %s::jsonb, %s)",
                 (json.dumps({**SEED_SCOPE, "bucket_rank_position": 2.0}), json.dumps(SEED_CONTROLS), T0))
    rows = conn.execute("SELECT scope -> 'bucket_rank_position', scope_vec[5] FROM learning.action_log ORDER BY position_id").fetchall()
    assert rows == [(1, "1"), (2, "2")]
    client.close_trade("f1", 1.0, closed_at=T0 + timedelta(hours=1))
    client.close_trade("f2", 2.0, closed_at=T0 + timedelta(hours=1))
    conn.execute("SELECT learning.aggregate_pattern_scope_stats(%s)", (T0 + timedelta(days=1),))


# ------------------------------------------------------------------------------------------- defence in depth
def test_poison_rows_cannot_stop_a_learning_cycle(client, conn):
    """Rows written with the validation triggers disabled (as before a rule existed): quarantined, and every job
    of the cycle runs; none fails on a data error (class 22: 22P02, 22003, 2201W, 22012...)."""
    for i in range(12):
        client.log_action(f"ok{i}", "pm.bad.in", "E1", SEED_SCOPE, SEED_CONTROLS, ts=T0)
        client.close_trade(f"ok{i}", 0.5 + (i % 3), closed_at=T0 + timedelta(hours=2))
    conn.execute("ALTER TABLE learning.action_log DISABLE TRIGGER USER")
    conn.execute("ALTER TABLE learning.completed_trades DISABLE TRIGGER USER")
    poison = {"z1": ("1.0", 1.0, "{}"), "z2": ("1e30", 1.0, "{}"), "z3": ("1", 1e200, "{}"),
              "z4": ("1", 1.0, '{"cf_exit_gain_rr": 1e400}'), "z5": ("1", 1.0, '{"cf_entry_delay_bars": "x"}')}
    for pos, (rank, rr, details) in poison.items():
        vec = ["Recover", "Dip", "Good", "micro", rank, "lowcaps", "micro", "1h", "normal", "aggressive"]
        conn.execute("INSERT INTO learning.action_log (position_id, ts, pattern_key, action_type, action_category, scope, controls,"
                     " scope_vec) VALUES (%s, %s, 'pm.bad.in', 'E1', 'entry', %s::jsonb, %s::jsonb, %s)",
                     (pos, T0, json.dumps(SEED_SCOPE), json.dumps(SEED_CONTROLS), vec))
        conn.execute("INSERT INTO learning.completed_trades (position_id, closed_at, rr, details, first_action_at)"
                     " VALUES (%s, %s, %s, %s::jsonb, %s)", (pos, T0 + timedelta(hours=2), rr, details, T0))
    conn.execute("ALTER TABLE learning.action_log ENABLE TRIGGER USER")
    conn.execute("ALTER TABLE learning.completed_trades ENABLE TRIGGER USER")

    quarantined = dict(conn.execute("SELECT position_id, reason FROM learning.v_quarantine").fetchall())
    assert set(quarantined) == set(poison) and all(quarantined.values())
    summary = client.run_learning_cycle(T0 + timedelta(days=1))
    jobs = {j["job"]: j for j in summary["jobs"]}
    assert jobs["aggregate_pattern_scope_stats"]["status"] == "ok", summary
    assert not [j for j in summary["jobs"] if (j.get("sqlstate") or "").startswith("22")], summary
    n_root = conn.execute("SELECT n FROM learning.pattern_scope_stats WHERE pattern_key = 'pm.bad.in' AND scope_mask = 0").fetchone()
    assert n_root == (12,), "the aggregation counts the 12 sound trades only"


# ------------------------------------------------------------------------------------------------ the importer
def _action_line(pos: str, **patch) -> str:
    rec = {"position_id": pos, "ts": "2026-03-02T10:00:00Z", "pattern_key": "pm.imp.x", "action_type": "E1",
           "scope": SEED_SCOPE, "controls": SEED_CONTROLS, **patch}
    return json.dumps(rec)


def _trade_line(pos: str, **patch) -> str:
    return json.dumps({"position_id": pos, "closed_at": "2026-03-03T10:00:00Z", "rr": 1.0, **patch})


IMPORT_CASES = [
    ("NUL byte", "actions", lambda p: p.write_bytes(_action_line("a1").encode() + b"\n" + b'{"position_id": "a\x00"}\n'), 2, "22021"),
    ("escaped NUL", "actions", lambda p: p.write_text(_action_line("a1") + "\n" + _action_line("a\x00b") + "\n"), 2, "22021"),
    ("invalid UTF-8", "actions", lambda p: p.write_bytes(_action_line("a1").encode() + b"\n" + b'{"position_id": "\xff\xfe"}\n'),
     2, "22021"),
    ("not JSON", "actions", lambda p: p.write_text(_action_line("a1") + "\n{position_id: a2}\n"), 2, "22P02"),
    ("rank 1e30", "actions", lambda p: p.write_text(
        _action_line("a1") + "\n" + _action_line("a2", scope={**SEED_SCOPE, "bucket_rank_position": 1e30}) + "\n"), 2, "22023"),
    ("3,000-character pattern_key", "actions", lambda p: p.write_text(
        _action_line("a1") + "\n" + _action_line("a2", pattern_key="pm." + "k" * 3000) + "\n"), 2, "22023"),
    ("3,000-character position_id", "actions", lambda p: p.write_text(_action_line("a1") + "\n" + _action_line("a" * 3000) + "\n"),
     2, "22023"),
    ("signal NaN", "actions", lambda p: p.write_text(
        _action_line("a1") + "\n" + _action_line("a2", controls={"signals": {"TS": "NaN"}, "applied_knobs": {}}).replace('"NaN"', "NaN")
        + "\n"), 2, "22023"),
    ("rr 1e200", "trades", lambda p: p.write_text(_trade_line("a1", rr=1e200) + "\n"), 1, "22023"),
    ("rr Infinity", "trades", lambda p: p.write_text(_trade_line("a1").replace("1.0", "Infinity") + "\n"), 1, "22023"),
    ("cf_exit_gain_rr 1e400", "trades", lambda p: p.write_text(
        _trade_line("a1", details={"cf_exit_gain_rr": 1}).replace('"cf_exit_gain_rr": 1', '"cf_exit_gain_rr": 1e400') + "\n"),
     1, "22023"),
    ("cf_entry_gain_rr 1000", "trades", lambda p: p.write_text(_trade_line("a1", details={"cf_entry_gain_rr": 1000}) + "\n"), 1,
     "22023"),
]


@pytest.mark.parametrize("what, which, write, line, sqlstate", IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_import_refuses_the_bad_line(conn, tmp_path, what, which, write, line, sqlstate):
    actions, trades = tmp_path / "actions.jsonl", tmp_path / "trades.jsonl"
    actions.write_text(_action_line("a1") + "\n")
    trades.write_text(_trade_line("a1") + "\n")
    write(actions if which == "actions" else trades)
    before = state(conn)
    with pytest.raises(ImportLineError) as info:
        import_history(conn, actions, trades)
    assert info.value.sqlstate == sqlstate, str(info.value)
    assert info.value.line == line
    assert state(conn) == before, "nothing of the batch is loaded"


def test_import_of_a_missing_file(conn, tmp_path):
    (tmp_path / "trades.jsonl").write_text("")
    before = state(conn)
    with pytest.raises(FileNotFoundError):
        import_history(conn, tmp_path / "missing.jsonl", tmp_path / "trades.jsonl")
    assert state(conn) == before


# ----------------------------------------------------------------------------------------------------- the CLI
def run_cli(*args: str, dsn: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGLEARN_DSN", "PGLEARN_DEBUG")}
    if dsn:
        env["DATABASE_URL"] = dsn
    return subprocess.run([sys.executable, "-m", "pglearn.cli", *args], env=env, capture_output=True, text=True, timeout=120)


CLI_CASES = [
    ("unreachable server", ("--dsn", "postgresql://postgres@127.0.0.1:1/pglearn", "status"), 1),
    ("not a dsn", ("--dsn", "not a dsn", "status"), 1),
    ("not a dsn, migrate", ("--dsn", "not a dsn", "migrate"), 1),
    ("unknown database", ("status",), 1),
    ("run-cycle --as-of garbage", ("run-cycle", "--as-of", "garbage"), 2),
    ("generate --trades 0", ("generate", "--trades", "0"), 2),
    ("generate --trades -5", ("generate", "--trades", "-5"), 2),
    ("generate --patterns 0", ("generate", "--patterns", "0"), 2),
    ("generate --weeks x", ("generate", "--weeks", "x"), 2),
    ("rollback --count -1", ("rollback", "--count", "-1"), 2),
    ("rollback --count 0", ("rollback", "--count", "0"), 2),
    ("report --out /proc/x", ("report", "--out", "/proc/x"), 1),
    ("import a missing file", ("import", "/nonexistent/actions.jsonl", "/nonexistent/trades.jsonl"), 1),
    ("explain a malformed key", ("explain", "bad key", "entry", "{}"), 2),
    ("explain an unknown category", ("explain", "pm.a", "hold", "{}"), 1),
    ("explain a scope that is not an object", ("explain", "pm.a", "entry", "[1]"), 1),
    ("explain a scope that is not JSON", ("explain", "pm.a", "entry", "{x"), 1),
    ("replay --step garbage", ("replay", "--step", "garbage"), 1),
]


@pytest.mark.parametrize("what, args, code", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_one_line_and_non_zero(dsn, what, args, code):
    from conftest import with_dbname

    target = with_dbname(dsn, "pglearn_no_such_db") if what == "unknown database" else dsn
    with psycopg.connect(dsn) as watch:
        before = state(watch)
    res = run_cli(*args, dsn=target)
    assert res.returncode == code, (what, res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pglearn"), (what, res.stderr)
    assert "Traceback" not in res.stderr
    with psycopg.connect(dsn) as watch:
        assert state(watch) == before, f"{what}: the CLI changed a table"


def test_cli_import_of_bad_bytes_loads_nothing(dsn, tmp_path):
    actions, trades = tmp_path / "actions.jsonl", tmp_path / "trades.jsonl"
    trades.write_text("")
    with psycopg.connect(dsn) as watch:
        before = state(watch)
    for content in (b'{"position_id": "p\x00"}\n', b'{"position_id": "\xc3\x28"}\n'):
        actions.write_bytes(_action_line("cli-imp-1").encode() + b"\n" + content)
        res = run_cli("import", str(actions), str(trades), dsn=dsn)
        assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert ":2:" in res.stderr and "SQLSTATE 22021" in res.stderr and "nothing was loaded" in res.stderr
    with psycopg.connect(dsn) as watch:
        assert state(watch) == before
