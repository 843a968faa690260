"""The main job end to end: generate -> walk-forward replay -> report, import, and the CLI verbs (issue: make demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from pglearn.importer import ImportLineError, import_history
from pglearn.replay import parse_step, replay, step_times
from pglearn.report import collect, render_html, render_text
from pglearn.synthetic import PLANTED, generate

from conftest import SEED_CONTROLS, SEED_SCOPE


def _lever(effect: dict, name: str):
    return {**effect["capital_levers"], **effect["execution_levers"]}.get(name)


def test_replay_learns_the_planted_effects(client, conn, tmp_path):
    """A small synthetic market replayed week by week: the planted effects come out as lessons with levers
    in the right direction, the report shows them and writes its plots."""
    # 12 patterns: the smallest count whose entry patterns are mostly without an R/R effect (pattern_names)
    info = generate(conn, trades=3000, weeks=12, patterns=12, seed=7)
    steps: list[dict] = []
    summary = replay(client, None, None, timedelta(weeks=1), on_step=lambda i, n, r: steps.append(r))
    assert summary["failed_steps"] == 0 and summary["steps"] == len(steps) >= 10
    assert [s["step_no"] for s in steps] == list(range(1, len(steps) + 1))
    assert all(s["ok"] for s in steps)

    def lessons(pattern: str) -> list[tuple[dict, dict, int]]:
        return conn.execute("SELECT scope_values, effect, decay_halflife_hours FROM learning.learning_lessons"
                            " WHERE pattern_key = %s AND status = 'active'", (pattern,)).fetchall()

    single = [e for s, e, _ in lessons(PLANTED["single"]) if s.get("macro_phase") == "Recover"]
    assert single and all(_lever(e, "size_mult") > 1 for e in single), single
    inter = [e for s, e, _ in lessons(PLANTED["interaction"]) if s.get("bucket") == "micro" and s.get("timeframe") == "1h"]
    assert inter and all(_lever(e, "size_mult") > 1 for e in inter), inter
    assert any(_lever(e, "entry_delay_bars") and _lever(e, "entry_delay_bars") > 0 for _, e, _ in lessons(PLANTED["late_entry"]))
    assert any(h < 8760 for _, _, h in lessons(PLANTED["fading"])), "the fading edge gets a finite half-life"
    negative = conn.execute("SELECT effect FROM learning.learning_lessons WHERE pattern_key = %s AND action_category = 'exit'"
                            " AND status = 'active' AND scope_values = %s::jsonb",
                            (PLANTED["negative_exit"], json.dumps({"macro_phase": "Oh-Shit"}))).fetchall()
    assert negative and all(_lever(e, "size_mult") < 1 for (e,) in negative), negative  # the negative edge sizes down
    twins = conn.execute("SELECT count(*) FROM learning.learning_latent_factors WHERE %s = ANY (pattern_keys)"
                         " AND %s = ANY (pattern_keys)", (PLANTED["twin_a"], PLANTED["twin_b"])).fetchone()[0]
    assert twins == 1

    # out-of-sample scoring: every step after the first scored the previous generation
    scored, total = conn.execute("SELECT count(DISTINCT generation), (SELECT trades_matched FROM learning.v_override_effectiveness"
                                 " WHERE level = 'total') FROM learning.override_score").fetchone()
    assert scored == len(steps) - 1 and total > 0
    # lever trajectories: one snapshot per lesson and step
    assert conn.execute("SELECT count(DISTINCT step_no) FROM learning.lesson_snapshot").fetchone()[0] == len(steps)

    rep = collect(conn)
    verdicts = {c["key"]: c["learned"] for c in rep["planted"]}  # at the exact planted scope, lever the right way
    assert verdicts == {"single": True, "interaction": True, "fading": True, "twin_a": True, "twin_b": True,
                        "late_entry": True, "negative_exit": True}
    assert all(c["same_factor"] for c in rep["planted"] if c["key"] in ("twin_a", "twin_b"))
    assert any(c["planted_scope_matches"] and c["applied_lesson"] for c in rep["calls"])
    q = rep["quality"]  # pglearn.quality.measure, printed at the top of the report
    assert q["planted"] == 7 and q["recall_found"] >= 6 and q["direction"] == 1.0
    text = render_text(rep)
    assert text.index("== Quality against the planted truth") < text.index("== Planted effects")
    assert "recall at exact scope" in text and "FDR (active lessons)" in text and "OOS signed excess" in text
    assert "LEARNED pm.uptrend.S1.buy_flag" in text and "== Time per stage" in text
    # the HTML report is a snapshot of the dashboard: summary tables first, then its pages, Plotly charts inlined
    page = render_html(rep)
    assert "<pre>" not in page and page.index('id="page-summary"') < page.index('id="page-health"')
    assert page.index('id="quality"') < page.index('id="planted"') < page.index('id="page-health"')
    for section in ("health", "overrides", "lessons", "jobs", "factors"):
        assert f'id="page-{section}"' in page, section
    fading = next(c["lesson"]["id"] for c in rep["planted"] if c["key"] == "fading")
    lesson_page = page.split(f'id="lesson-{fading}"', 1)[1].split("</section>", 1)[0]
    for chart in ("edge", "trajectory", "trades"):  # the fading lesson's edge history and fit, levers, trades
        assert f'id="chart-{chart}-{fading}"' in lesson_page and "Plotly.newPlot" in lesson_page, chart
    assert 'id="chart-dendrogram"' in page and 'id="chart-oos"' in page
    assert page.count("plotly.js v") == 1, "Plotly inlined once"
    assert info["planted"]["twin_b"] in page


def _action(pos: str, **over) -> str:
    rec = {"position_id": pos, "ts": "2026-03-02T10:00:00Z", "pattern_key": "pm.uptrend.S1.buy_flag",
           "action_type": "E1", "scope": SEED_SCOPE, "controls": SEED_CONTROLS, **over}
    return json.dumps(rec)


def test_import_is_all_or_nothing(conn, tmp_path):
    actions, trades = tmp_path / "actions.jsonl", tmp_path / "trades.jsonl"
    trades.write_text(json.dumps({"position_id": "p1", "closed_at": "2026-03-03T08:00:00Z", "rr": 1.4}) + "\n"
                      + json.dumps({"position_id": "p2", "closed_at": "2026-03-03T09:00:00Z", "rr": -0.5,
                                    "details": {"cf_entry_delay_bars": 2}}) + "\n")
    # line 4 (after a blank line) has a scope value the registry does not allow
    actions.write_text("\n".join([_action("p1"), _action("p2"), "",
                                  _action("p3", scope={**SEED_SCOPE, "macro_phase": "Sideways"})]) + "\n")
    with pytest.raises(ImportLineError) as err:
        import_history(conn, actions, trades)
    assert err.value.line == 4 and err.value.sqlstate == "22023" and "macro_phase" in err.value.reason
    assert conn.execute("SELECT count(*) FROM learning.action_log").fetchone()[0] == 0

    actions.write_text(_action("p1") + "\n" + '{"position_id": "p2", oops}\n')
    with pytest.raises(ImportLineError) as err:
        import_history(conn, actions, trades)
    assert err.value.line == 2 and err.value.sqlstate == "22P02"

    # a bad trade line rolls back the actions already copied in the same batch
    actions.write_text(_action("p1") + "\n" + _action("p2") + "\n")
    trades.write_text(json.dumps({"position_id": "p1", "closed_at": "2026-03-03T08:00:00Z", "rr": 1.4}) + "\n"
                      + json.dumps({"position_id": "nope", "closed_at": "2026-03-03T09:00:00Z", "rr": 0.1}) + "\n")
    with pytest.raises(ImportLineError) as err:
        import_history(conn, actions, trades)
    assert err.value.line == 2 and err.value.sqlstate == "LR003"
    assert conn.execute("SELECT count(*) FROM learning.action_log").fetchone()[0] == 0

    trades.write_text(json.dumps({"position_id": "p1", "closed_at": "2026-03-03T08:00:00Z", "rr": 1.4}) + "\n")
    assert import_history(conn, actions, trades) == {"actions": 2, "trades": 1}
    assert conn.execute("SELECT action_category, scope_vec[1] FROM learning.action_log WHERE position_id = 'p1'").fetchone() \
        == ("entry", "Recover")


def test_replay_steps_and_units():
    assert parse_step("1w") == timedelta(weeks=1) and parse_step("12h") == timedelta(hours=12)
    for bad in ("", "0w", "1y", "w"):
        with pytest.raises(ValueError):
            parse_step(bad)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    times = step_times(start, start + timedelta(days=22), timedelta(weeks=1))
    assert times == [start, start + timedelta(weeks=1), start + timedelta(weeks=2), start + timedelta(days=22)]
    times = step_times(start, start + timedelta(days=14, hours=1), timedelta(weeks=1))
    assert times[-1] == start + timedelta(days=14, hours=1) and len(times) == 3


def test_cli_main_job_verbs(scratch_dsn, tmp_path):
    """generate, replay, explain, report and import through the CLI, on a database of their own."""
    env = {**os.environ, "DATABASE_URL": scratch_dsn}
    cli = [sys.executable, "-m", "pglearn.cli"]

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run(cli + list(args), env=env, capture_output=True, text=True)
        assert (res.returncode == 0) == ok, res.stderr
        return res

    run("migrate")
    assert json.loads(run("generate", "--trades", "600", "--weeks", "4", "--patterns", "8", "--seed", "3").stdout)["trades"] == 600
    assert "empty database" in run("generate", "--trades", "10", ok=False).stderr  # a history is generated whole
    out = run("replay", "--step", "2w")
    assert json.loads(out.stdout[out.stdout.index("{"):])["steps"] >= 2
    assert "2/" in out.stderr  # the progress bar
    run("replay", "--step", "2y", ok=False)
    assert "replay_to is before replay_from" in run("replay", "--from", "2026-03-01", "--to", "2026-02-01", ok=False).stderr
    explained = json.loads(run("explain", PLANTED["fading"], "entry", json.dumps(SEED_SCOPE)).stdout)
    assert explained["generation"] is not None and set(explained) >= {"applies", "reason", "override", "lesson", "decay"}
    assert run("explain", PLANTED["fading"], "entry", "{not json", ok=False).stderr.startswith("pglearn explain")
    rep = run("report", "--out", str(tmp_path / "out"))
    assert "Planted effects" in rep.stdout and (tmp_path / "out" / "report.html").stat().st_size > 1000
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_action("x1") + "\n" + "[1, 2]\n")
    res = run("import", str(bad), str(bad), ok=False)
    assert f"{bad}:2:" in res.stderr and "nothing was loaded" in res.stderr
