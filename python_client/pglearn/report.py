"""pglearn report: what the stack learned, next to what was planted (docs/demo.md, "Report").

collect(conn) reads everything from the database (synthetic_run, the latest replay_run, lessons, overrides,
scores, health), so a report can be rebuilt at any time; its resolve_overrides calls record telemetry in the
caller's transaction; render_text() prints it, render_html() writes a
self-contained HTML page whose plots are inline SVG (viewable offline, no plotting library needed).
"""

from __future__ import annotations

import html
import json
import math
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from . import quality

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

    job_ms: dict[str, float] = {}
    for s in steps:
        for job in s["cycle"]["jobs"]:
            job_ms[job["job"]] = job_ms.get(job["job"], 0.0) + float(job["ms"] or 0)
    trajectories: dict[int, list] = {}
    if run:
        for r in _rows(conn, "SELECT s.lesson_id, st.as_of, s.effect FROM learning.lesson_snapshot AS s"
                             " JOIN learning.replay_step AS st USING (run_id, step_no) WHERE s.run_id = %s"
                             " ORDER BY s.lesson_id, st.as_of", (run[0]["run_id"],)):
            trajectories.setdefault(r["lesson_id"], []).append((r["as_of"], r["effect"]))
    decays = []
    # tunables.half_life_max_hours: what a non-decaying edge is fitted to
    half_life_cap = conn.execute("SELECT (learning.pm_config() #>> '{tunables,half_life_max_hours}')::float").fetchone()[0]
    fading_ids = [c["lesson"]["id"] for c in checks if c["lesson"] and "half_life_truth_hours" in c["measured"]]
    decaying = [les for les in lessons if les["id"] in fading_ids] + sorted(
        (les for les in lessons if les["decay_halflife_hours"] < half_life_cap and les["id"] not in fading_ids),
        key=lambda les: les["decay_halflife_hours"])
    for les in decaying[:6]:  # the fading effect's lesson first, then the shortest half-lives
        pts = _rows(conn, "SELECT ts, edge_raw FROM learning.learning_edge_history WHERE pattern_key = %s AND action_category = %s"
                          " AND scope_signature = %s ORDER BY ts", (les["pattern_key"], les["action_category"],
                                                                     les["scope_values_hash"]))
        decays.append({"lesson": les, "points": [(p["ts"], p["edge_raw"]) for p in pts]})
    linkage = _rows(conn, "SELECT pattern_keys, linkage, cut_distance FROM learning.latent_factor_linkage")
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
        "trajectories": trajectories,
        "decays": decays,
        "linkage": linkage[0] if linkage else None,
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


# ---- inline SVG -----------------------------------------------------------------------------------------
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#999999")


def _svg_lines(series: list[tuple[str, list[tuple[float, float]]]], title: str, y_range: tuple[float, float] | None = None,
               scatter: set[str] = frozenset(), w: int = 420, h: int = 220) -> str:
    pts = [p for _, s in series for p in s]
    if not pts:
        return ""
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = y_range or (min(p[1] for p in pts), max(p[1] for p in pts))
    pad = max((y1 - y0) * 0.1, 0.005)
    y0, y1 = y0 - pad, y1 + pad
    x1 = x1 if x1 > x0 else x0 + 1
    ml, mr, mt, mb = 44, 10, 22, 24

    def sx(x: float) -> float:
        return ml + (x - x0) / (x1 - x0) * (w - ml - mr)

    def sy(y: float) -> float:
        return h - mb - (y - y0) / (y1 - y0) * (h - mt - mb)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" class="plot">',
             f'<text x="{ml}" y="14" font-size="12">{html.escape(title)}</text>',
             f'<line x1="{ml}" y1="{h - mb}" x2="{w - mr}" y2="{h - mb}" stroke="#999"/>',
             f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{h - mb}" stroke="#999"/>']
    for v in (y0, (y0 + y1) / 2, y1):
        parts.append(f'<text x="2" y="{sy(v) + 4:.1f}" font-size="10">{v:.3f}</text>')
    for v, anchor in ((x0, "start"), (x1, "end")):  # x is days since the epoch: label the first and last date
        day = datetime.fromtimestamp(v * 86400.0, tz=timezone.utc)
        parts.append(f'<text x="{sx(v):.1f}" y="{h - 8}" font-size="10" text-anchor="{anchor}">{day:%Y-%m-%d}</text>')
    for i, (label, s) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        if label in scatter:
            parts += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{color}"/>' for x, y in s]
        elif s:
            d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{d}"/>')
        parts.append(f'<text x="{w - mr - 150}" y="{mt + 12 * (i + 1)}" font-size="10" fill="{color}">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_dendrogram(keys: list[str], linkage: list, cut: float, w: int = 640) -> str:
    """A dendrogram of scipy linkage rows [i, j, distance, size]; leaves are the pattern keys."""
    n = len(keys)
    if n < 2 or not linkage:
        return ""
    h = 40 + 18 * n
    order: list[int] = []
    stack = [2 * n - 2]  # depth-first, left child first: the leaf order of the drawing
    while stack:
        node = stack.pop()
        if node < n:
            order.append(node)
        else:
            a, b = linkage[node - n][:2]
            stack += [int(b), int(a)]
    ypos = {leaf: 30 + 18 * i for i, leaf in enumerate(order)}
    dmax = max(row[2] for row in linkage) or 1.0
    left, right = 230, w - 20

    def sx(d: float) -> float:
        return left + d / dmax * (right - left)

    xpos = {i: left for i in range(n)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" class="plot">',
             '<text x="4" y="14" font-size="12">Latent factors: average linkage on 1 - phi (dashed: the cut)</text>']
    for i, k in enumerate(keys):
        parts.append(f'<text x="4" y="{ypos[i] + 4}" font-size="10">{html.escape(k)}</text>')
    for m, (a, b, d, _) in enumerate(linkage):
        a, b, node = int(a), int(b), n + m
        x = sx(d)
        parts.append(f'<polyline fill="none" stroke="#1f77b4" points="{xpos[a]:.1f},{ypos[a]} {x:.1f},{ypos[a]} '
                     f'{x:.1f},{ypos[b]} {xpos[b]:.1f},{ypos[b]}"/>')
        xpos[node], ypos[node] = x, (ypos[a] + ypos[b]) / 2
    if cut <= dmax:
        parts.append(f'<line x1="{sx(cut):.1f}" y1="20" x2="{sx(cut):.1f}" y2="{h - 5}" stroke="#d62728" stroke-dasharray="4"/>')
    parts.append("</svg>")
    return "".join(parts)


def _ts(t: datetime) -> float:
    return t.timestamp() / 86400.0


def render_html(rep: dict, text: str) -> str:
    """The offline HTML report: the text report, lever trajectories, edge decay fits, the dendrogram."""
    show = {c["lesson"]["id"] for c in rep["planted"] if c["lesson"]}
    show |= {les["id"] for les in rep["unplanted"][:3]}
    by_id = {les["id"]: les for les in rep["lessons"]}
    traj = []
    for lid in sorted(show):
        snaps = rep["trajectories"].get(lid, [])
        if not snaps or lid not in by_id:
            continue
        series = [(k, [(_ts(t), _lever(e, k)) for t, e in snaps if _lever(e, k) is not None]) for k in LEVERS]
        delays = [(_ts(t), 1 + 0.06 * _lever(e, "entry_delay_bars")) for t, e in snaps if _lever(e, "entry_delay_bars")]
        if delays:
            series.append(("1 + 0.06 * entry_delay_bars", delays))
        les = by_id[lid]
        series.append(("neutral 1.0", [(series[0][1][0][0], 1.0), (series[0][1][-1][0], 1.0)] if series[0][1] else []))
        traj.append(_svg_lines(series, f"lesson {lid} {les['pattern_key']} {json.dumps(les['scope_values'])}"))
    decay = []
    for d in rep["decays"]:
        pts = [(_ts(t), y) for t, y in d["points"]]
        if len(pts) < 2:
            continue
        hl = d["lesson"]["decay_halflife_hours"] / 24.0
        lam = math.log(2) / hl
        t0 = pts[0][0]
        e = [math.exp(-lam * (x - t0)) for x, _ in pts]
        a = sum(y * ei for (_, y), ei in zip(pts, e)) / max(sum(ei * ei for ei in e), 1e-12)
        curve = [(x, a * math.exp(-lam * (x - t0))) for x in (t0 + i * (pts[-1][0] - t0) / 40 for i in range(41))]
        les = d["lesson"]
        decay.append(_svg_lines([("edge_raw history", pts), (f"fit: half-life {les['decay_halflife_hours']} h", curve)],
                                f"lesson {les['id']} {les['pattern_key']} {json.dumps(les['scope_values'])}",
                                scatter={"edge_raw history"}))
    lk = rep["linkage"]
    dendro = _svg_dendrogram(lk["pattern_keys"], lk["linkage"], lk["cut_distance"]) if lk else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>pglearn report</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em;font-size:12px}"
        ".plot{margin:4px;border:1px solid #eee}</style></head><body><h1>pglearn report</h1>"
        f"<pre>{html.escape(text)}</pre>"
        f"<h2>Lever trajectories per lesson</h2><div id='trajectories'>{''.join(traj) or '<p>no lessons yet</p>'}</div>"
        f"<h2>Edge decay fits (v5.2)</h2><div id='decay'>{''.join(decay) or '<p>no fitted half-life yet</p>'}</div>"
        f"<h2>Latent factors (v5.3)</h2><div id='dendrogram'>{dendro or '<p>fewer than two patterns</p>'}</div>"
        "</body></html>"
    )


def write_report(conn: psycopg.Connection, out_dir: Path) -> tuple[str, Path]:
    """Collect, render; writes out_dir/report.html and returns (text, its path)."""
    rep = collect(conn)
    text = render_text(rep)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    path.write_text(render_html(rep, text), encoding="utf-8")
    return text, path
