"""pglearn dashboard: the operator's view, a local read-only web app (docs/operations.md, "Dashboard").

Pages: health and alerts (/), overrides in force with their evidence and out-of-sample excess R over time
(/overrides), lessons with search and sort (/lessons), one page per lesson (/lessons/<id>: its stats row and parents,
edge history with the fitted half-life, lever trajectory, the trades behind it), job runs (/jobs) and the
latent-factor dendrogram (/factors).

Built on Flask (routing, the Jinja templates below) and Plotly (charts; its JavaScript bundle ships inside the plotly
wheel and is served from /static/plotly.min.js, so nothing is fetched from the internet). The same data functions
and templates render `pglearn report`'s offline snapshot (report.py): `render_page(name, data, Site(...))`.

Read-only by construction: every connection runs `SET ROLE pglearn_reader` and `default_transaction_read_only = on`
before its first query (connect_reader), so the dashboard has exactly the reader's rights whatever login the DSN
names: the superuser's DSN of `make db`, or a dedicated login role that is a member of pglearn_reader.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import psycopg
from jinja2 import DictLoader, Environment, select_autoescape
from markupsafe import Markup
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

READER_ROLE = "pglearn_reader"
LEVERS = ("size_mult", "entry_aggression_mult", "exit_aggression_mult")
PAGES = (("health", "Health & alerts"), ("overrides", "Overrides"), ("lessons", "Lessons"), ("jobs", "Jobs"),
         ("factors", "Latent factors"))
# /lessons?sort=<key>: the ORDER BY of each key (a whitelist: the key never reaches SQL itself)
LESSON_SORTS = {
    "edge": "abs(edge_raw) DESC NULLS LAST, id", "n": "n DESC NULLS LAST, id", "strength": "lesson_strength DESC, id",
    "p": "p_value ASC NULLS LAST, id", "q": "q_value ASC NULLS LAST, id", "half_life": "decay_halflife_hours, id",
    "oos": "oos_excess_rr ASC NULLS LAST, id", "pattern": "pattern_key, action_category, id", "id": "id",
}
LESSON_STATUSES = ("active", "stale", "retired", "rolled_back")


def plotly_js() -> str:
    """Plotly's JavaScript bundle, from the installed plotly package (served locally, inlined in the report)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def connect_reader(dsn: str) -> psycopg.Connection:
    """A connection with exactly pglearn_reader's rights, read-only (SET ROLE fails with 42501 when the DSN's login
    is not a member of pglearn_reader)."""
    conn = psycopg.connect(dsn, autocommit=True)
    try:
        conn.execute(f"SET ROLE {READER_ROLE}")
        conn.execute("SET default_transaction_read_only = on")
    except BaseException:
        conn.close()
        raise
    return conn


def _rows(conn: psycopg.Connection, sql: str, params: tuple | dict = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,)).fetchone()[0]


def _stats_relation(conn: psycopg.Connection) -> str:
    """The cube's cells with the roadmap's stats JSON: learning.v_pattern_scope_stats where it exists (the cube of
    issue 13), else the table itself (same columns: pattern_key, action_category, scope_mask, scope_values,
    scope_values_hash, n, stats)."""
    return ("learning.v_pattern_scope_stats" if _exists(conn, "learning.v_pattern_scope_stats")
            else "learning.pattern_scope_stats")


def lever(effect: dict | None, name: str):
    """A lever's value in a lesson effect ({"capital_levers": ..., "execution_levers": ...}), None when absent."""
    if not effect:
        return None
    return {**(effect.get("capital_levers") or {}), **(effect.get("execution_levers") or {})}.get(name)


# ---- data: one function per page, each returning plain dicts -------------------------------------------------
def health_data(conn: psycopg.Connection) -> dict:
    counts = _rows(conn, """
        SELECT (SELECT count(*) FROM learning.learning_lessons WHERE status = 'active') AS active_lessons,
               (SELECT count(*) FROM learning.learning_lessons) AS lessons,
               (SELECT count(*) FROM learning.v_active_overrides) AS overrides,
               (SELECT generation FROM learning.override_current) AS generation,
               (SELECT count(*) FROM learning.completed_trades) AS trades,
               (SELECT max(started_at) FROM learning.job_runs) AS last_job_run""")[0]
    return {
        "checks": _rows(conn, "SELECT check_name, ok, detail FROM learning.v_health"),
        "open": _rows(conn, "SELECT id, kind, subject, severity, detail, first_seen, last_seen, age FROM learning.v_alerts"
                            " WHERE open"),
        "resolved": _rows(conn, "SELECT id, kind, subject, severity, detail, first_seen, resolved_at FROM learning.v_alerts"
                                " WHERE NOT open LIMIT 20"),
        "counts": counts,
    }


def overrides_data(conn: psycopg.Connection, series_max: int = 8) -> dict:
    overrides = _rows(conn, """
        SELECT o.generation, o.pattern_key, o.action_category, o.scope_values, o.lesson_id, o.n, o.edge_raw,
               l.p_value, l.q_value, o.lesson_strength, o.decay_halflife_hours, o.decay_factor, o.latent_factor_id,
               o.size_mult, o.entry_aggression_mult, o.exit_aggression_mult, o.entry_delay_bars
        FROM learning.v_active_overrides AS o
        LEFT JOIN learning.learning_lessons AS l ON l.id = o.lesson_id
        ORDER BY abs(o.size_mult - 1) DESC, o.lesson_id""")
    effectiveness = _rows(conn, "SELECT * FROM learning.v_override_effectiveness"
                                " ORDER BY level DESC, trades_matched DESC NULLS LAST LIMIT 50")
    # out-of-sample excess R per window (matched rr minus the pattern's mean rr that window, summed over the matched
    # trades), cumulated: all overrides, and each override in force
    windows = _rows(conn, """
        SELECT s.window_to, s.pattern_key, s.action_category, s.scope_values,
               sum(s.matched_sum_rr - s.trades_matched * s.pattern_sum_rr / nullif(s.pattern_trades, 0)) AS excess,
               sum(s.trades_matched) AS trades
        FROM learning.override_score AS s
        WHERE s.trades_matched > 0
        GROUP BY s.window_to, s.pattern_key, s.action_category, s.scope_values
        ORDER BY s.window_to""")
    in_force = {(o["pattern_key"], o["action_category"], json.dumps(o["scope_values"], sort_keys=True)) for o in overrides}
    total: dict[datetime, float] = {}
    per: dict[tuple, list] = {}
    for w in windows:
        total[w["window_to"]] = total.get(w["window_to"], 0.0) + float(w["excess"] or 0)
        key = (w["pattern_key"], w["action_category"], json.dumps(w["scope_values"], sort_keys=True))
        if key in in_force:
            per.setdefault(key, []).append((w["window_to"], float(w["excess"] or 0)))
    top = sorted(per, key=lambda k: -abs(sum(e for _, e in per[k])))[:series_max]
    series = [("all overrides", sorted(total.items()))] + [(f"{k[0]} {k[1]} {k[2]}", per[k]) for k in top]
    return {"overrides": overrides, "effectiveness": effectiveness, "series": series}


def lessons_data(conn: psycopg.Connection, q: str = "", sort: str = "edge", status: str = "", limit: int = 500) -> dict:
    sort = sort if sort in LESSON_SORTS else "edge"
    status = status if status in LESSON_STATUSES else ""
    rows = _rows(conn, f"""
        SELECT id, pattern_key, action_category, scope_values, status, n, edge_raw, p_value, q_value, lesson_strength,
               decay_halflife_hours, latent_factor_id, oos_trades, oos_excess_rr, effect
        FROM learning.learning_lessons
        WHERE (%(q)s = '' OR pattern_key ILIKE %(like)s OR scope_values::text ILIKE %(like)s OR action_category = %(q)s
               OR id::text = %(q)s)
          AND (%(status)s = '' OR status = %(status)s)
        ORDER BY {LESSON_SORTS[sort]}
        LIMIT %(limit)s""", {"q": q, "like": f"%{q}%", "status": status, "limit": limit})
    total = conn.execute("SELECT count(*) FROM learning.learning_lessons").fetchone()[0]
    return {"lessons": rows, "q": q, "sort": sort, "status": status, "total": total, "sorts": list(LESSON_SORTS),
            "statuses": LESSON_STATUSES}


def lesson_data(conn: psycopg.Connection, lesson_id: int, trades_max: int = 200) -> dict | None:
    found = _rows(conn, "SELECT * FROM learning.learning_lessons WHERE id = %s", (lesson_id,))
    if not found:
        return None
    les = found[0]
    stats = _stats_relation(conn)
    key = (les["pattern_key"], les["action_category"])
    cells = _rows(conn, f"""
        SELECT s.scope_mask, s.scope_values, s.n, s.stats, bit_count(s.scope_mask::int::bit(16))::int AS k
        FROM {stats} AS s
        WHERE s.pattern_key = %s AND s.action_category = %s
          AND (s.scope_mask::int & %s) = s.scope_mask AND s.scope_values <@ %s
          AND bit_count(s.scope_mask::int::bit(16)) IN (0, %s, %s)
        ORDER BY k DESC, s.scope_mask""",
                  (*key, les["scope_mask"], Jsonb(les["scope_values"]), max(len(les["scope_dims"]) - 1, 0),
                   len(les["scope_dims"])))
    row = [c for c in cells if c["scope_mask"] == les["scope_mask"]]
    edges = _rows(conn, "SELECT ts, edge_raw, n, window_days FROM learning.learning_edge_history"
                        " WHERE pattern_key = %s AND action_category = %s AND scope_signature = %s ORDER BY ts",
                  (*key, les["scope_values_hash"]))
    trajectory = _rows(conn, """
        SELECT st.as_of, s.effect, s.status, s.lesson_strength
        FROM learning.lesson_snapshot AS s
        JOIN learning.replay_step AS st USING (run_id, step_no)
        WHERE s.lesson_id = %s AND s.run_id = (SELECT max(x.run_id) FROM learning.lesson_snapshot AS x WHERE x.lesson_id = %s)
        ORDER BY st.as_of""", (lesson_id, lesson_id))
    trades = _rows(conn, """
        SELECT a.position_id, a.ts, a.action_type, t.closed_at, t.rr
        FROM learning.action_log AS a
        JOIN learning.completed_trades AS t USING (position_id)
        WHERE a.pattern_key = %s AND a.action_category = %s AND a.scope @> %s
        ORDER BY t.closed_at DESC, a.id DESC
        LIMIT %s""", (*key, Jsonb(les["scope_values"]), trades_max))
    summary = _rows(conn, """
        SELECT count(*) AS n, avg(t.rr) AS avg_rr, stddev_samp(t.rr) AS sd_rr
        FROM learning.action_log AS a
        JOIN learning.completed_trades AS t USING (position_id)
        WHERE a.pattern_key = %s AND a.action_category = %s AND a.scope @> %s""", (*key, Jsonb(les["scope_values"])))[0]
    return {"lesson": les, "row": row[0] if row else None, "parents": [c for c in cells if c["scope_mask"] != les["scope_mask"]],
            "edges": edges, "trajectory": trajectory, "trades": trades, "trades_summary": summary}


def jobs_data(conn: psycopg.Connection, runs_max: int = 200) -> dict:
    registry = _rows(conn, """
        SELECT r.stage, r.job, r.cron_name, r.cron_schedule, r.meta_learning, r.requires, l.started_at AS last_run,
               l.status AS last_status, l.error AS last_error
        FROM learning.job_registry AS r
        LEFT JOIN LATERAL (SELECT j.started_at, j.status, j.error FROM learning.job_runs AS j WHERE j.job = r.job
                           ORDER BY j.started_at DESC, j.id DESC LIMIT 1) AS l ON true
        ORDER BY r.stage""")
    runs = _rows(conn, """
        SELECT source, id, job, as_of, started_at, finished_at, status, rows, sqlstate, error,
               extract(EPOCH FROM finished_at - started_at) * 1000 AS ms
        FROM learning.v_job_history ORDER BY started_at DESC, id DESC LIMIT %s""", (runs_max,))
    return {"registry": registry, "runs": runs}


def factors_data(conn: psycopg.Connection) -> dict:
    linkage = _rows(conn, "SELECT as_of, pattern_keys, linkage, cut_distance FROM learning.latent_factor_linkage")
    factors = _rows(conn, "SELECT factor_id, pattern_keys, representative_pattern, updated_at"
                          " FROM learning.learning_latent_factors ORDER BY cardinality(pattern_keys) DESC, factor_id")
    return {"linkage": linkage[0] if linkage else None, "factors": factors}


# ---- charts (Plotly) ---------------------------------------------------------------------------------------
def _figure_html(fig, div_id: str, height: int = 320) -> Markup:
    fig.update_layout(margin={"l": 50, "r": 20, "t": 40, "b": 40}, height=height, template="plotly_white",
                      legend={"font": {"size": 10}})
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                              config={"displaylogo": False, "responsive": True}))


def oos_chart(series: list[tuple[str, list]], div_id: str = "chart-oos") -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, pts in series:
        cum, xs, ys = 0.0, [], []
        for t, e in pts:
            cum += e
            xs.append(t)
            ys.append(cum)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name[:70]))
    fig.update_layout(title="Out-of-sample excess R, cumulated over scored windows", yaxis_title="excess R (sum)")
    return _figure_html(fig, div_id)


def half_life_fit(edges: list[dict], half_life_hours: float) -> list[tuple[datetime, float]]:
    """The fitted decay a * 2^(-t / half-life) through the edge history (least squares in a, half-life fixed)."""
    if len(edges) < 2:
        return []
    t0 = edges[0]["ts"]
    lam = math.log(2) / (half_life_hours * 3600.0)
    e = [math.exp(-lam * (p["ts"] - t0).total_seconds()) for p in edges]
    a = sum(p["edge_raw"] * w for p, w in zip(edges, e)) / max(sum(w * w for w in e), 1e-12)
    span = (edges[-1]["ts"] - t0).total_seconds()
    return [(t0 + (edges[-1]["ts"] - t0) * (i / 40), a * math.exp(-lam * span * i / 40)) for i in range(41)]


def edge_chart(edges: list[dict], half_life_hours: float, div_id: str) -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[p["ts"] for p in edges], y=[p["edge_raw"] for p in edges], mode="markers",
                               name="edge_raw history"))
    fit = half_life_fit(edges, half_life_hours)
    if fit:
        fig.add_trace(go.Scatter(x=[t for t, _ in fit], y=[y for _, y in fit], mode="lines",
                                 name=f"fit: half-life {half_life_hours:g} h"))
    fig.update_layout(title="Edge history and the fitted half-life (v5.2)", yaxis_title="edge_raw")
    return _figure_html(fig, div_id)


def trajectory_chart(trajectory: list[dict], div_id: str) -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure()
    xs = [s["as_of"] for s in trajectory]
    for name in LEVERS:
        fig.add_trace(go.Scatter(x=xs, y=[lever(s["effect"], name) for s in trajectory], mode="lines+markers", name=name))
    delays = [lever(s["effect"], "entry_delay_bars") for s in trajectory]
    if any(d is not None for d in delays):
        fig.add_trace(go.Scatter(x=xs, y=delays, mode="lines+markers", name="entry_delay_bars", yaxis="y2"))
        fig.update_layout(yaxis2={"title": "bars", "overlaying": "y", "side": "right", "rangemode": "tozero"})
    fig.add_hline(y=1.0, line_dash="dot", line_color="#999")
    fig.update_layout(title="Lever trajectory over the replay", yaxis_title="multiplier")
    return _figure_html(fig, div_id)


def trades_chart(trades: list[dict], div_id: str) -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure(go.Histogram(x=[t["rr"] for t in trades], nbinsx=30, name="rr"))
    fig.update_layout(title=f"R/R of the {len(trades)} latest trades behind it", xaxis_title="rr", showlegend=False)
    return _figure_html(fig, div_id)


def jobs_chart(runs: list[dict], div_id: str = "chart-jobs") -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure()
    for job in sorted({r["job"] for r in runs}):
        mine = [r for r in runs if r["job"] == job and r["ms"] is not None]
        fig.add_trace(go.Scatter(x=[r["started_at"] for r in mine], y=[float(r["ms"]) for r in mine], mode="markers",
                                 name=job, text=[r["status"] for r in mine]))
    fig.update_layout(title="Job run times", yaxis_title="ms", yaxis_type="log")
    return _figure_html(fig, div_id)


def dendrogram_chart(linkage: dict, div_id: str = "chart-dendrogram") -> Markup:
    """The v5.3 average-linkage tree (scipy's linkage rows over pattern_keys) with the cut line."""
    import numpy as np
    import plotly.figure_factory as ff

    keys = linkage["pattern_keys"]
    z = np.array(linkage["linkage"], dtype=float)
    fig = ff.create_dendrogram(np.zeros((len(keys), 1)), orientation="left", labels=keys,
                               distfun=lambda _x: None, linkagefun=lambda _d: z,
                               color_threshold=float(linkage["cut_distance"]))
    fig.add_vline(x=float(linkage["cut_distance"]), line_dash="dash", line_color="#d62728")
    fig.update_layout(title="Latent factors: average linkage on 1 - phi (dashed: the cut)", xaxis_title="1 - phi")
    return _figure_html(fig, div_id, height=max(320, 24 * len(keys) + 80))


# ---- templates ----------------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,sans-serif;margin:0;color:#222}
nav{background:#1f3b57;padding:.6em 1.2em}nav a{color:#fff;margin-right:1.4em;text-decoration:none}
nav a.here{font-weight:bold;text-decoration:underline}
main,section.page{padding:.5em 1.5em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}th{background:#f3f5f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#176b2c}.bad{color:#b3261e;font-weight:bold}
.sev-critical{background:#fde7e9}.sev-warning{background:#fff4d6}.sev-info{background:#eef5ff}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:8px}
code{font-size:12px}.muted{color:#777}
"""

_LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pglearn - {{ title }}</title>
<link rel="icon" href="data:,">{{ head }}<style>{{ css }}</style></head><body>
<nav>{% for name, label in pages %}<a href="{{ site.page_url(name) }}" class="{{ 'here' if name == current else '' }}">{{ label }}</a>{% endfor %}
<span class="muted" style="color:#cde">{{ site.note }}</span></nav>
<main>{{ body }}</main></body></html>"""

_MACROS = """
{% macro num(v, fmt='%.3f') %}{% if v is none %}{% elif v is number and v is not integer %}{{ fmt | format(v) }}{% else %}{{ v }}{% endif %}{% endmacro %}
{% macro js(v) %}<code>{{ v | tojson }}</code>{% endmacro %}
{% macro lesson_link(site, id) %}{% if site.lesson_url(id) %}<a href="{{ site.lesson_url(id) }}">{{ id }}</a>{% else %}{{ id }}{% endif %}{% endmacro %}
"""

TEMPLATES = {
    "macros": _MACROS,
    "layout": _LAYOUT,
    "health": """{% import 'macros' as m %}
<h1 id="title-health">Health and alerts</h1>
<p>{{ d.counts.active_lessons }} active lessons of {{ d.counts.lessons }}; {{ d.counts.overrides }} overrides in force
(generation {{ d.counts.generation if d.counts.generation is not none else 'none' }}); {{ d.counts.trades }} closed trades;
last job run {{ d.counts.last_job_run or 'never' }}.</p>
<h2>Open alerts ({{ d.open | length }})</h2>
{% if d.open %}<table id="alerts"><tr><th>severity</th><th>kind</th><th>subject</th><th>detail</th><th>since</th><th>last seen</th></tr>
{% for a in d.open %}<tr class="sev-{{ a.severity }}"><td>{{ a.severity }}</td><td>{{ a.kind }}</td><td>{{ a.subject }}</td>
<td>{{ a.detail }}</td><td>{{ a.first_seen }}</td><td>{{ a.last_seen }}</td></tr>{% endfor %}</table>
{% else %}<p class="ok" id="alerts">No open alert.</p>{% endif %}
<h2>Health checks (learning.v_health)</h2>
<table id="health"><tr><th></th><th>check</th><th>detail</th></tr>
{% for h in d.checks %}<tr><td class="{{ 'ok' if h.ok else 'bad' }}">{{ 'ok' if h.ok else 'BAD' }}</td><td>{{ h.check_name }}</td>
<td>{{ h.detail }}</td></tr>{% endfor %}</table>
<h2>Recently resolved alerts</h2>
{% if d.resolved %}<table id="resolved"><tr><th>severity</th><th>kind</th><th>subject</th><th>detail</th><th>first seen</th><th>resolved</th></tr>
{% for a in d.resolved %}<tr><td>{{ a.severity }}</td><td>{{ a.kind }}</td><td>{{ a.subject }}</td><td>{{ a.detail }}</td>
<td>{{ a.first_seen }}</td><td>{{ a.resolved_at }}</td></tr>{% endfor %}</table>{% else %}<p class="muted">none</p>{% endif %}
""",
    "overrides": """{% import 'macros' as m %}
<h1 id="title-overrides">Overrides in force</h1>
{% if d.overrides %}<p>Generation {{ d.overrides[0].generation }}: {{ d.overrides | length }} overrides.</p>
<table id="overrides"><tr><th>lesson</th><th>pattern</th><th>category</th><th>scope</th><th>n</th><th>effect (edge_raw)</th>
<th>p</th><th>q</th><th>strength</th><th>half-life h</th><th>decay</th><th>factor</th><th>size</th><th>entry</th><th>exit</th><th>delay</th></tr>
{% for o in d.overrides %}<tr><td>{{ m.lesson_link(site, o.lesson_id) }}</td><td>{{ o.pattern_key }}</td><td>{{ o.action_category }}</td>
<td>{{ m.js(o.scope_values) }}</td><td class="num">{{ o.n }}</td><td class="num">{{ m.num(o.edge_raw) }}</td>
<td class="num">{{ m.num(o.p_value, '%.2g') }}</td><td class="num">{{ m.num(o.q_value, '%.2g') }}</td>
<td class="num">{{ m.num(o.lesson_strength) }}</td><td class="num">{{ o.decay_halflife_hours }}</td>
<td class="num">{{ m.num(o.decay_factor) }}</td><td>{{ o.latent_factor_id or '' }}</td><td class="num">{{ m.num(o.size_mult) }}</td>
<td class="num">{{ m.num(o.entry_aggression_mult) }}</td><td class="num">{{ m.num(o.exit_aggression_mult) }}</td>
<td class="num">{{ o.entry_delay_bars if o.entry_delay_bars is not none else '' }}</td></tr>{% endfor %}</table>
{% else %}<p id="overrides">No override in force.</p>{% endif %}
<h2>Out of sample (learning.v_override_effectiveness)</h2>
{% if d.effectiveness %}{{ charts.oos }}
<table id="effectiveness"><tr>{% for k in d.effectiveness[0].keys() %}<th>{{ k }}</th>{% endfor %}</tr>
{% for e in d.effectiveness %}<tr>{% for k, v in e.items() %}<td class="{{ 'num' if v is number else '' }}">
{% if k == 'lesson_id' and e.level == 'total' %}{% elif k == 'lesson_id' and v is not none %}{{ m.lesson_link(site, v) }}{% elif v is mapping %}{{ m.js(v) }}{% else %}{{ m.num(v) }}{% endif %}</td>{% endfor %}</tr>{% endfor %}</table>
{% else %}<p class="muted">Nothing scored yet: overrides are scored on the trades that close after their generation (a replay).</p>{% endif %}
""",
    "lessons": """{% import 'macros' as m %}
<h1 id="title-lessons">Lessons</h1>
{% if site.live %}<form method="get" action="{{ site.page_url('lessons') }}">
<input name="q" id="q" value="{{ d.q }}" placeholder="pattern, scope value, category or id" size="40">
<select name="status" id="status"><option value="">any status</option>{% for s in d.statuses %}
<option value="{{ s }}" {{ 'selected' if s == d.status else '' }}>{{ s }}</option>{% endfor %}</select>
<input type="hidden" name="sort" value="{{ d.sort }}"><button type="submit">search</button></form>{% endif %}
<p>{{ d.lessons | length }} shown of {{ d.total }}, sorted by {{ d.sort }}.</p>
<table id="lessons"><tr>{% for key, label in [('id', 'lesson'), ('pattern', 'pattern'), (None, 'category'), (None, 'scope'),
 (None, 'status'), ('n', 'n'), ('edge', 'edge_raw'), ('p', 'p'), ('q', 'q'), ('strength', 'strength'), ('half_life', 'half-life h'),
 (None, 'factor'), ('oos', 'OOS excess R'), (None, 'size')] %}
<th>{% if key and site.live %}<a href="{{ site.page_url('lessons', q=d.q, status=d.status, sort=key) }}">{{ label }}</a>{% else %}{{ label }}{% endif %}</th>{% endfor %}</tr>
{% for l in d.lessons %}<tr><td>{{ m.lesson_link(site, l.id) }}</td><td>{{ l.pattern_key }}</td><td>{{ l.action_category }}</td>
<td>{{ m.js(l.scope_values) }}</td><td>{{ l.status }}</td><td class="num">{{ l.n }}</td><td class="num">{{ m.num(l.edge_raw) }}</td>
<td class="num">{{ m.num(l.p_value, '%.2g') }}</td><td class="num">{{ m.num(l.q_value, '%.2g') }}</td>
<td class="num">{{ m.num(l.lesson_strength) }}</td><td class="num">{{ l.decay_halflife_hours }}</td><td>{{ l.latent_factor_id or '' }}</td>
<td class="num">{{ m.num(l.oos_excess_rr) }}</td><td class="num">{{ m.num(lever(l.effect, 'size_mult')) }}</td></tr>{% endfor %}</table>
""",
    "lesson": """{% import 'macros' as m %}{% set l = d.lesson %}
<h1 id="title-lesson-{{ l.id }}">Lesson {{ l.id }}: {{ l.pattern_key }} {{ l.action_category }}</h1>
<p>scope {{ m.js(l.scope_values) }}; status <b>{{ l.status }}</b>{% if l.status_reason %} ({{ l.status_reason }}){% endif %};
n {{ l.n }}, edge_raw {{ m.num(l.edge_raw) }}, p {{ m.num(l.p_value, '%.2g') }}, q {{ m.num(l.q_value, '%.2g') }},
strength {{ m.num(l.lesson_strength) }}, half-life {{ l.decay_halflife_hours }} h, factor {{ l.latent_factor_id or 'none' }};
out of sample {{ l.oos_trades if l.oos_trades is not none else 0 }} trades, excess {{ m.num(l.oos_excess_rr) }} R.</p>
<p>levers {{ m.js(l.effect) }}</p>
<h2>Stats row and parents</h2>
<table class="stats"><tr><th>k</th><th>scope</th><th>n</th><th>avg_rr</th><th>variance</th><th>edge_raw</th><th>rr_baseline</th><th>stats</th></tr>
{% for c in ([d.row] if d.row else []) + d.parents %}<tr><td>{{ c.k }}{{ ' (the lesson)' if c is sameas d.row else '' }}</td>
<td>{{ m.js(c.scope_values) }}</td><td class="num">{{ c.n }}</td><td class="num">{{ m.num(c.stats.avg_rr) }}</td>
<td class="num">{{ m.num(c.stats.variance) }}</td><td class="num">{{ m.num(c.stats.edge_raw) }}</td>
<td class="num">{{ m.num(c.stats.rr_baseline) }}</td><td><details><summary>json</summary>{{ m.js(c.stats) }}</details></td></tr>{% endfor %}</table>
{% if not d.row %}<p class="muted">No stats row for this scope in the current cube.</p>{% endif %}
<div class="charts">{{ charts.edge or '<p class="muted">No edge history yet.</p>' | safe }}
{{ charts.trajectory or '<p class="muted">No replay snapshots of this lesson.</p>' | safe }}
{{ charts.trades or '' }}</div>
<h2>Trades behind it</h2>
<p>{{ d.trades_summary.n }} closed trades of the pattern and category whose scope contains the lesson's; mean rr
{{ m.num(d.trades_summary.avg_rr) }}, sd {{ m.num(d.trades_summary.sd_rr) }}; the {{ d.trades | length }} latest:</p>
<table class="trades"><tr><th>position</th><th>action</th><th>at</th><th>closed</th><th>rr</th></tr>
{% for t in d.trades[:50] %}<tr><td>{{ t.position_id }}</td><td>{{ t.action_type }}</td><td>{{ t.ts }}</td><td>{{ t.closed_at }}</td>
<td class="num">{{ m.num(t.rr) }}</td></tr>{% endfor %}</table>
""",
    "jobs": """{% import 'macros' as m %}
<h1 id="title-jobs">Jobs</h1>
<table id="registry"><tr><th>stage</th><th>job</th><th>pg_cron</th><th>schedule (GMT)</th><th>last run</th><th>status</th><th>error</th></tr>
{% for r in d.registry %}<tr><td>{{ r.stage }}</td><td>{{ r.job }}</td><td>{{ r.cron_name }}</td><td><code>{{ r.cron_schedule }}</code></td>
<td>{{ r.last_run or 'never' }}</td><td class="{{ 'bad' if r.last_status in ('failed', 'interrupted') else '' }}">{{ r.last_status or '' }}</td>
<td>{{ r.last_error or '' }}</td></tr>{% endfor %}</table>
{% if d.runs %}{{ charts.jobs }}{% endif %}
<h2>Runs (learning.v_job_history, latest {{ d.runs | length }})</h2>
<table id="runs"><tr><th>source</th><th>id</th><th>job</th><th>as_of</th><th>started</th><th>ms</th><th>status</th><th>rows</th><th>error</th></tr>
{% for r in d.runs %}<tr><td>{{ r.source }}</td><td>{{ r.id }}</td><td>{{ r.job }}</td><td>{{ r.as_of or '' }}</td><td>{{ r.started_at }}</td>
<td class="num">{{ m.num(r.ms, '%.0f') }}</td><td class="{{ 'bad' if r.status in ('failed', 'interrupted') else '' }}">{{ r.status }}</td>
<td class="num">{{ r.rows if r.rows is not none else '' }}</td><td>{{ r.error or '' }}</td></tr>{% endfor %}</table>
""",
    "factors": """{% import 'macros' as m %}
<h1 id="title-factors">Latent factors (v5.3)</h1>
{% if d.linkage %}<p>{{ d.linkage.pattern_keys | length }} patterns clustered as of {{ d.linkage.as_of }}, cut at
{{ d.linkage.cut_distance }}.</p><div id="dendrogram">{{ charts.dendrogram }}</div>
{% else %}<p class="muted" id="dendrogram">No clustering yet (fewer than two patterns, or cluster_latent_factors has not run).</p>{% endif %}
<table id="factors"><tr><th>factor</th><th>patterns</th><th>representative</th><th>updated</th></tr>
{% for f in d.factors %}<tr><td>{{ f.factor_id }}</td><td>{{ f.pattern_keys | join(', ') }}</td><td>{{ f.representative_pattern or '' }}</td>
<td>{{ f.updated_at }}</td></tr>{% endfor %}</table>
""",
}

def _finalize(value):
    """Every {{ value }}: timestamps to the second (UTC offset kept), None as ''."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S%z")
    return "" if value is None else value


def environment(templates: dict[str, str]) -> Environment:
    """The Jinja environment of the pages (the report adds its summary template)."""
    env = Environment(loader=DictLoader(templates), autoescape=select_autoescape(default=True, default_for_string=True),
                      finalize=_finalize)
    env.globals["lever"] = lever
    return env


_env = environment(TEMPLATES)


@dataclass
class Site:
    """How pages link: the live app (URLs) or the offline snapshot (anchors in one file, lessons it holds)."""

    live: bool = True
    lessons_included: set[int] | None = None  # offline: the lesson pages in the file
    note: str = ""

    def page_url(self, name: str, **args) -> str:
        if not self.live:
            return f"#page-{name}"
        query = urlencode({k: v for k, v in args.items() if v})
        return ("/" if name == "health" else f"/{name}") + (f"?{query}" if query else "")

    def lesson_url(self, lesson_id: int) -> str | None:
        if self.live:
            return f"/lessons/{lesson_id}"
        return f"#lesson-{lesson_id}" if self.lessons_included and lesson_id in self.lessons_included else None


def charts_for(name: str, data: dict, prefix: str = "") -> dict:
    """The Plotly charts of a page (div ids made unique by prefix within one document)."""
    if name == "overrides":
        return {"oos": oos_chart(data["series"], f"{prefix}chart-oos")} if data["effectiveness"] else {}
    if name == "lesson":
        les = data["lesson"]
        out = {}
        if len(data["edges"]) >= 1:
            out["edge"] = edge_chart(data["edges"], float(les["decay_halflife_hours"]), f"{prefix}chart-edge-{les['id']}")
        if data["trajectory"]:
            out["trajectory"] = trajectory_chart(data["trajectory"], f"{prefix}chart-trajectory-{les['id']}")
        if data["trades"]:
            out["trades"] = trades_chart(data["trades"], f"{prefix}chart-trades-{les['id']}")
        return out
    if name == "jobs":
        return {"jobs": jobs_chart(data["runs"], f"{prefix}chart-jobs")} if data["runs"] else {}
    if name == "factors":
        return {"dendrogram": dendrogram_chart(data["linkage"], f"{prefix}chart-dendrogram")} if data["linkage"] else {}
    return {}


def render_page(name: str, data: dict, site: Site, prefix: str = "") -> str:
    """A page's body (no <html>): the live app wraps it in the layout, the report puts them all in one file."""
    return _env.get_template(name).render(d=data, site=site, charts=charts_for(name, data, prefix))


def render_layout(title: str, current: str, body: str, site: Site, head: str = "",
                  pages: tuple[tuple[str, str], ...] = PAGES) -> str:
    """A whole HTML page: the nav (pages: (name, label) pairs), the CSS, head (the Plotly script tag) and body."""
    return _env.get_template("layout").render(title=title, current=current, body=Markup(body), site=site,
                                              head=Markup(head), css=Markup(CSS), pages=pages)


# ---- the app --------------------------------------------------------------------------------------------------
def create_app(dsn: str):
    """The Flask app: each request opens a read-only pglearn_reader connection (connect_reader) and closes it."""
    from flask import Flask, abort, request, send_file

    app = Flask("pglearn.dashboard")
    js_path = Path(__import__("plotly").__file__).parent / "package_data" / "plotly.min.js"
    site = Site(live=True, note="read-only, as pglearn_reader")
    head = '<script src="/static/plotly.min.js"></script>'

    def page(name: str, title: str, loader: Callable[[psycopg.Connection], dict | None]) -> str:
        with connect_reader(dsn) as conn:
            data = loader(conn)
        if data is None:
            abort(404)
        return render_layout(title, name if name != "lesson" else "lessons", render_page(name, data, site), site, head)

    @app.get("/static/plotly.min.js")
    def plotly_bundle():
        return send_file(js_path, mimetype="text/javascript", max_age=3600)

    @app.get("/")
    def health():
        return page("health", "health and alerts", health_data)

    @app.get("/overrides")
    def overrides():
        return page("overrides", "overrides", overrides_data)

    @app.get("/lessons")
    def lessons():
        args = request.args
        return page("lessons", "lessons", lambda c: lessons_data(c, args.get("q", "").strip(), args.get("sort", "edge"),
                                                                  args.get("status", "")))

    @app.get("/lessons/<int:lesson_id>")
    def lesson(lesson_id: int):
        return page("lesson", f"lesson {lesson_id}", lambda c: lesson_data(c, lesson_id))

    @app.get("/jobs")
    def jobs():
        return page("jobs", "jobs", jobs_data)

    @app.get("/factors")
    def factors():
        return page("factors", "latent factors", factors_data)

    return app


def serve(dsn: str, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the dashboard (Werkzeug's threaded server: a local tool for a few operators, not a public site)."""
    with connect_reader(dsn):  # fail now, with the reason, if the login cannot become pglearn_reader
        pass
    create_app(dsn).run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
