"""pglearn report: what the stack learned, next to what was planted (docs/demo.md, "Report").

collect(conn) reads everything from the database (synthetic_run, the latest replay_run, lessons, overrides,
scores, health, and the dashboard's pages), so a report can be rebuilt at any time; its resolve_overrides calls
record telemetry in the caller's transaction; render_text() prints it, render_html() writes a snapshot of the
dashboard (pglearn.dashboard: the same pages, templates and Plotly charts) as one self-contained HTML file: the
summary tables first, then health and alerts, overrides, lessons, a page per lesson shown, jobs and the latent
factors. Plotly's JavaScript is inlined, so the file opens offline.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from . import dashboard, quality

LEVERS = ("size_mult", "entry_aggression_mult", "exit_aggression_mult")
BASE_LEVERS = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}
PLAN_CONTROLS = {"entry_delay_bars": 0, "phase1_frac": 0.15, "trim_delay": 3, "trail_speed": 1.0, "panic_trigger": 1.0}


def _rows(conn: psycopg.Connection, sql: str, params: tuple = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


_lever = quality.lever_value


def _check_planted(p: dict, measured: dict, lessons: list[dict], factors: dict[str, str | None]) -> dict:
    """Did the stack learn planted effect p at its exact scope? The verdict is pglearn.quality's: an active lesson
    at exactly the planted scope whose lever moved the expected way. The lesson shown is that one (whatever its
    status), else the pattern's lesson nearest to the planted scope."""
    exp = p["expect"]
    out = {"key": p["key"], "pattern_key": p["pattern_key"], "planted_scope": p["scope"], "effect": p["effect"],
           "expect": exp, "learned": bool(measured["recalled"] and measured["direction_ok"]), "measured": measured,
           "exact": measured["lesson_id"] is not None, "lesson": None}
    by_id = {les["id"]: les for les in lessons}
    if measured["lesson_id"] is not None:
        out["lesson"] = by_id.get(measured["lesson_id"])
    else:
        mine = [les for les in lessons if les["pattern_key"] == p["pattern_key"]
                and les["action_category"] == p["action_category"]]
        want = {(k, str(v)) for k, v in p["scope"].items()}
        if mine:  # active first, then the fewest (dim, value) pairs differing from the planted scope
            out["lesson"] = min(mine, key=lambda les: (
                les["status"] != "active", len(want ^ {(k, str(v)) for k, v in les["scope_values"].items()}),
                -abs(les["edge_raw"] or 0)))
    if "same_factor_as" in exp:
        out["factor"] = factors.get(p["pattern_key"])
        out["same_factor"] = out["factor"] is not None and out["factor"] == factors.get(exp["same_factor_as"])
    return out


def _sample_scope(conn: psycopg.Connection, pattern_key: str, category: str, scope: dict, match: bool) -> dict | None:
    """A full logged scope of the pattern that does (or does not) contain the planted scope."""
    rows = _rows(conn, "SELECT scope FROM learning.action_log WHERE pattern_key = %s AND action_category = %s"
                       " AND (scope @> %s) = %s ORDER BY id LIMIT 1", (pattern_key, category, Jsonb(scope), match))
    return rows[0]["scope"] if rows else None


def collect(conn: psycopg.Connection) -> dict:
    """Everything the report shows, read from the database."""
    t0 = time.perf_counter()
    synth = _rows(conn, "SELECT * FROM learning.synthetic_run ORDER BY run_id DESC LIMIT 1")
    run = _rows(conn, "SELECT * FROM learning.replay_run ORDER BY run_id DESC LIMIT 1")
    steps = _rows(conn, "SELECT step_no, as_of, generation, seconds, cycle FROM learning.replay_step WHERE run_id = %s"
                        " ORDER BY step_no", (run[0]["run_id"],)) if run else []
    lessons = _rows(conn, "SELECT id, pattern_key, action_category, scope_values, status, effect, edge_raw, incremental_edge, n,"
                          " lesson_strength, decay_halflife_hours, latent_factor_id, scope_values_hash"
                          " FROM learning.learning_lessons ORDER BY abs(edge_raw) DESC NULLS LAST, id")
    planted = synth[0]["planted"] if synth else []
    measured = quality.measure(conn)  # resolve calls inside, rolled back
    factors = {k: f for f, keys in conn.execute("SELECT factor_id, pattern_keys FROM learning.learning_latent_factors")
               for k in keys}
    checks = [_check_planted(p, m, lessons, factors) for p, m in zip(planted, measured["effects"])]
    planted_keys = {quality.effect_key(p["pattern_key"], p["action_category"], p["scope"]) for p in planted}
    # lessons in force that are not a planted effect at its exact scope (the FDR's false discoveries)
    unplanted = [les for les in lessons if les["status"] == "active"
                 and quality.effect_key(les["pattern_key"], les["action_category"], les["scope_values"]) not in planted_keys]

    calls = []
    for p in planted:
        if "lever" not in p["expect"]:
            continue
        for match in (True, False):
            scope = _sample_scope(conn, p["pattern_key"], p["action_category"], p["scope"], match)
            if scope is None:
                continue
            doc = conn.execute("SELECT learning.resolve_overrides(%s, %s, %s, %s, %s)",
                               (p["pattern_key"], p["action_category"], Jsonb(scope), Jsonb(BASE_LEVERS),
                                Jsonb(PLAN_CONTROLS))).fetchone()[0]
            calls.append({"pattern_key": p["pattern_key"], "category": p["action_category"], "planted_scope_matches": match,
                          "scope": scope, "before": {"levers": BASE_LEVERS, "controls": PLAN_CONTROLS},
                          "after": {"levers": doc["levers"], "controls": doc["controls"]},
                          "applied_lesson": (doc["applied"]["strength"] or {}).get("lesson_id")})
    if calls:  # issue 14: their telemetry into the hourly counters now, not at pg_cron's next minute
        conn.execute("SELECT learning.flush_override_decisions()")

    job_ms: dict[str, float] = {}
    for s in steps:
        for job in s["cycle"]["jobs"]:
            job_ms[job["job"]] = job_ms.get(job["job"], 0.0) + float(job["ms"] or 0)
    # the dashboard's pages, for the HTML snapshot: a lesson page for each planted effect's lesson, the strongest
    # unplanted ones and the lessons behind the overrides in force
    pages = {"health": dashboard.health_data(conn), "overrides": dashboard.overrides_data(conn),
             "lessons": dashboard.lessons_data(conn, limit=1000), "jobs": dashboard.jobs_data(conn),
             "factors": dashboard.factors_data(conn)}
    shown = [c["lesson"]["id"] for c in checks if c["lesson"]] + [les["id"] for les in unplanted[:3]] + [
        o["lesson_id"] for o in pages["overrides"]["overrides"][:20]]
    pages["lesson_pages"] = [d for d in (dashboard.lesson_data(conn, lid) for lid in dict.fromkeys(shown)) if d]
    return {
        "synthetic": synth[0] if synth else None,
        "replay": run[0] if run else None,
        "steps": steps,
        "job_seconds": {k: round(v / 1000, 2) for k, v in job_ms.items()},
        "quality": measured,
        "planted": checks,
        "lessons": lessons,
        "unplanted": unplanted,
        "top_overrides": _rows(conn, "SELECT pattern_key, action_category, scope_values, lesson_id, lesson_strength, decay_factor,"
                                     " size_mult, entry_aggression_mult, exit_aggression_mult, entry_delay_bars"
                                     " FROM learning.v_active_overrides ORDER BY abs(size_mult - 1) DESC, lesson_id LIMIT 10"),
        "calls": calls,
        "effectiveness": _rows(conn, "SELECT * FROM learning.v_override_effectiveness"
                                     " ORDER BY level DESC, trades_matched DESC NULLS LAST LIMIT 11"),
        "health": _rows(conn, "SELECT check_name, ok, detail FROM learning.v_health"),
        "pages": pages,
        "collect_seconds": round(time.perf_counter() - t0, 2),
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return "" if v is None else str(v)


def _levers_text(effect: dict | None) -> str:
    if not effect:
        return "-"
    vals = {k: _lever(effect, k) for k in (*LEVERS, "entry_delay_bars")}
    return " ".join(f"{k}={_fmt(v)}" for k, v in vals.items() if v is not None)


def render_text(rep: dict) -> str:
    """The console report."""
    out = []
    s = rep["synthetic"]
    if s:
        out.append(f"Synthetic market: seed {s['seed']}, {s['trades']} trades, {s['weeks']} weeks, {s['patterns']} patterns")
    r = rep["replay"]
    if r:
        out.append(f"Replay run {r['run_id']}: {r['replay_from']:%Y-%m-%d} .. {r['replay_to']:%Y-%m-%d} step {r['step']},"
                   f" {len(rep['steps'])} steps, status {r['status']}")
    q = rep["quality"]
    if s:
        out.append("\n== Quality against the planted truth (pglearn.quality; bench/bench_quality.py runs it on 3 seeds)")
        out += ["  " + line for line in quality.summary_lines(q)]
    else:
        out.append("\n== Quality: no synthetic market, no planted truth (an imported history)")
        out.append(f"  active lessons {q['active']}; OOS signed excess R/trade of all applied overrides"
                   f" {quality.num(q['oos_per_trade'])} ({q['oos_trades']} trades)")
    out.append("\n== Planted effects vs what was learned (at the exact planted scope)")
    for c in rep["planted"]:
        les = c["lesson"]
        verdict = "LEARNED" if c["learned"] else "missed "
        out.append(f"{verdict} {c['pattern_key']} {c['expect'].get('lever', '')} {c['expect'].get('direction', '')}"
                   f" {_fmt(c['planted_scope'])}: {c['effect']}")
        if les:
            where = "exact scope" if c["exact"] else "nearest scope (not the planted one)"
            m = c["measured"]
            extra = ""
            if "half_life_truth_hours" in m:
                extra += f" (truth {m['half_life_truth_hours']}h)"
            if "same_factor" in c:
                extra += f" same factor as {c['expect']['same_factor_as']}: {'yes' if c['same_factor'] else 'no'}"
            out.append(f"        lesson {les['id']} [{les['status']}, {where}] scope {_fmt(les['scope_values'])}"
                       f" {_levers_text(les['effect'])} strength={_fmt(les['lesson_strength'])}"
                       f" half-life={les['decay_halflife_hours']}h{extra} factor={les['latent_factor_id']}")
    out.append(f"\n== Active lessons that are not a planted effect at its exact scope: {len(rep['unplanted'])} of"
               f" {q['active']} active ({len(rep['lessons'])} lessons in all)")
    for les in rep["unplanted"][:5]:
        out.append(f"  {les['pattern_key']} {les['action_category']} {_fmt(les['scope_values'])} edge={_fmt(les['edge_raw'])}"
                   f" n={les['n']} {_levers_text(les['effect'])}")
    out.append("\n== Top overrides in force")
    for o in rep["top_overrides"]:
        out.append(f"  {o['pattern_key']} {o['action_category']} {_fmt(o['scope_values'])} size={_fmt(o['size_mult'])}"
                   f" entry={_fmt(o['entry_aggression_mult'])} exit={_fmt(o['exit_aggression_mult'])}"
                   f" delay={_fmt(o['entry_delay_bars'])} decay={_fmt(o['decay_factor'])}")
    out.append("\n== resolve_overrides before / after")
    for c in rep["calls"]:
        b, a = c["before"], c["after"]
        changed = {k: f"{_fmt(b[part].get(k))}->{_fmt(v)}" for part in ("levers", "controls") for k, v in a[part].items()
                   if _fmt(v) != _fmt(b[part].get(k))}
        tag = "planted scope" if c["planted_scope_matches"] else "other scope  "
        out.append(f"  {c['pattern_key']} [{tag}] lesson={c['applied_lesson']} {changed or 'unchanged'}")
    out.append("\n== Override effectiveness (out of sample: each step's overrides on the next step's trades)")
    for e in rep["effectiveness"]:
        name = "TOTAL" if e["level"] == "total" else f"{e['pattern_key']} {_fmt(e['scope_values'])}"
        out.append(f"  {name}: trades={e['trades_matched']} matched_rr={_fmt(e['matched_avg_rr'])}"
                   f" pattern_rr={_fmt(e['pattern_avg_rr'])} excess={_fmt(e['excess_rr_per_trade'])}"
                   f" size_uplift={_fmt(e['capital_uplift_rr'])}")
    out.append("\n== Health")
    for h in rep["health"]:
        out.append(f"  {'ok ' if h['ok'] else 'BAD'} {h['check_name']}: {h['detail']}")
    out.append("\n== Time per stage (s)")
    if s:
        out.append(f"  generate: {s['seconds']:.1f}")
    out.append(f"  quality.measure: {q['seconds']}")
    if rep["steps"]:
        secs = [st["seconds"] for st in rep["steps"]]
        out.append(f"  replay: {sum(secs):.1f} ({len(secs)} steps, mean {sum(secs) / len(secs):.2f}, max {max(secs):.2f})")
        out.append("  per job: " + ", ".join(f"{k} {v}" for k, v in rep["job_seconds"].items()))
    out.append(f"  report: {rep['collect_seconds']}")
    return "\n".join(out) + "\n"


# ---- the HTML snapshot of the dashboard ---------------------------------------------------------------------
_SUMMARY = dashboard.environment({**dashboard.TEMPLATES, "summary": """{% import 'macros' as m %}
<h1 id="title-summary">pglearn report</h1>
<p class="muted">Written {{ written }}: a snapshot of <code>pglearn dashboard</code>'s pages (live: run it against the same
database).</p>
<table id="run"><tr><th>what</th><th>detail</th></tr>
{% if rep.synthetic %}<tr><td>synthetic market</td><td>seed {{ rep.synthetic.seed }}, {{ rep.synthetic.trades }} trades,
{{ rep.synthetic.weeks }} weeks, {{ rep.synthetic.patterns }} patterns</td></tr>{% endif %}
{% if rep.replay %}<tr><td>replay run {{ rep.replay.run_id }}</td><td>{{ rep.replay.replay_from }} .. {{ rep.replay.replay_to }}
step {{ rep.replay.step }}, {{ rep.steps | length }} steps, status {{ rep.replay.status }}</td></tr>{% endif %}</table>
<h2>Quality {{ 'against the planted truth' if rep.synthetic else '(an imported history: no planted truth)' }}</h2>
<table id="quality"><tr><th>figure</th><th>value</th></tr>{% for label, value in quality_rows %}
<tr><td>{{ label }}</td><td>{{ value }}</td></tr>{% endfor %}</table>
{% if rep.planted %}<h2>Planted effects vs what was learned (at the exact planted scope)</h2>
<table id="planted"><tr><th>verdict</th><th>effect</th><th>pattern</th><th>lever</th><th>planted scope</th><th>lesson</th><th>status</th>
<th>scope learned</th><th>size</th><th>entry</th><th>delay</th><th>strength</th><th>half-life h</th><th>factor</th></tr>
{% for c in rep.planted %}{% set l = c.lesson %}<tr><td class="{{ 'ok' if c.learned else 'bad' }}">{{ 'LEARNED' if c.learned else 'missed' }}</td>
<td>{{ c.key }}</td><td>{{ c.pattern_key }}</td><td>{{ c.expect.lever or '' }} {{ c.expect.direction or '' }}</td><td>{{ m.js(c.planted_scope) }}</td>
{% if l %}<td>{{ m.lesson_link(site, l.id) }}</td><td>{{ l.status }}</td><td>{{ 'exact' if c.exact else m.js(l.scope_values) }}</td>
<td class="num">{{ m.num(lever(l.effect, 'size_mult')) }}</td><td class="num">{{ m.num(lever(l.effect, 'entry_aggression_mult')) }}</td>
<td class="num">{{ lever(l.effect, 'entry_delay_bars') if lever(l.effect, 'entry_delay_bars') is not none else '' }}</td>
<td class="num">{{ m.num(l.lesson_strength) }}</td><td class="num">{{ l.decay_halflife_hours }}{% if c.measured.half_life_truth_hours %}
(truth {{ c.measured.half_life_truth_hours }}){% endif %}</td><td>{{ l.latent_factor_id or '' }}{% if c.same_factor is defined %}
({{ 'same' if c.same_factor else 'not the same' }} as {{ c.expect.same_factor_as }}){% endif %}</td>
{% else %}<td colspan="9" class="muted">no lesson of this pattern</td>{% endif %}</tr>{% endfor %}</table>{% endif %}
<h2>Active lessons that are not a planted effect at its exact scope: {{ rep.unplanted | length }}</h2>
<table id="unplanted"><tr><th>lesson</th><th>pattern</th><th>category</th><th>scope</th><th>n</th><th>edge_raw</th><th>size</th></tr>
{% for l in rep.unplanted[:10] %}<tr><td>{{ m.lesson_link(site, l.id) }}</td><td>{{ l.pattern_key }}</td><td>{{ l.action_category }}</td>
<td>{{ m.js(l.scope_values) }}</td><td class="num">{{ l.n }}</td><td class="num">{{ m.num(l.edge_raw) }}</td>
<td class="num">{{ m.num(lever(l.effect, 'size_mult')) }}</td></tr>{% endfor %}</table>
{% if rep.calls %}<h2>resolve_overrides before / after</h2>
<table id="calls"><tr><th>pattern</th><th>scope</th><th>lesson applied</th><th>changed</th></tr>
{% for c in rep.calls %}<tr><td>{{ c.pattern_key }}</td><td>{{ 'the planted scope' if c.planted_scope_matches else 'another scope' }}</td>
<td>{{ m.lesson_link(site, c.applied_lesson) if c.applied_lesson else '' }}</td><td>{{ changed(c) or 'unchanged' }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Time per stage</h2>
<table id="timing"><tr><th>stage</th><th>seconds</th></tr>{% for stage, secs in timing %}<tr><td>{{ stage }}</td>
<td class="num">{{ secs }}</td></tr>{% endfor %}</table>
"""})


def _quality_rows(rep: dict) -> list[tuple[str, str]]:
    """pglearn.quality's headline lines (the text report's top) as (figure, value) rows."""
    q = rep["quality"]
    if not rep["synthetic"]:
        return [("active lessons", str(q["active"])),
                ("OOS signed excess R/trade of all applied overrides", f"{quality.num(q['oos_per_trade'])} ({q['oos_trades']} trades)")]
    rows = []
    for line in quality.summary_lines(q):
        # "label   value", else the value starts at the first word with a digit
        m = re.match(r"(.+?\S)\s{2,}(.+)", line) or re.match(r"(.*?)\s+(\S*\d.*)$", line)
        rows.append((m.group(1), m.group(2)) if m else (line, ""))
    return rows


def _changed(call: dict) -> str:
    b, a = call["before"], call["after"]
    return ", ".join(f"{k} {_fmt(b[part].get(k))} -> {_fmt(v)}" for part in ("levers", "controls") for k, v in a[part].items()
                     if _fmt(v) != _fmt(b[part].get(k)))


def _timing(rep: dict) -> list[tuple[str, str]]:
    rows = []
    if rep["synthetic"]:
        rows.append(("generate", f"{rep['synthetic']['seconds']:.1f}"))
    rows.append(("quality.measure", str(rep["quality"]["seconds"])))
    if rep["steps"]:
        secs = [st["seconds"] for st in rep["steps"]]
        rows.append((f"replay ({len(secs)} steps, mean {sum(secs) / len(secs):.2f}, max {max(secs):.2f})", f"{sum(secs):.1f}"))
        rows += [(f"  job {k}", str(v)) for k, v in rep["job_seconds"].items()]
    rows.append(("report", str(rep["collect_seconds"])))
    return rows


def render_html(rep: dict) -> str:
    """The offline HTML report: the summary tables, then the dashboard's pages (one file, Plotly inlined)."""
    pages = rep["pages"]
    site = dashboard.Site(live=False, lessons_included={d["lesson"]["id"] for d in pages["lesson_pages"]},
                          note="offline snapshot (pglearn report)")
    written = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f'<section class="page" id="page-summary">{_SUMMARY.get_template("summary").render(rep=rep, site=site, written=written, quality_rows=_quality_rows(rep), changed=_changed, timing=_timing(rep))}</section>']
    for name, _ in dashboard.PAGES:
        parts.append(f'<section class="page" id="page-{name}">{dashboard.render_page(name, pages[name], site)}</section>')
        if name == "lessons":
            parts += [f'<section class="page" id="lesson-{d["lesson"]["id"]}">{dashboard.render_page("lesson", d, site)}</section>'
                      for d in pages["lesson_pages"]]
    return dashboard.render_layout("report", "", "".join(parts), site, head=f"<script>{dashboard.plotly_js()}</script>",
                                   pages=(("summary", "Summary"), *dashboard.PAGES))


def write_report(conn: psycopg.Connection, out_dir: Path) -> tuple[str, Path]:
    """Collect, render; writes out_dir/report.html and returns (text, its path)."""
    rep = collect(conn)
    text = render_text(rep)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    path.write_text(render_html(rep), encoding="utf-8")
    return text, path
