"""How good is what the stack learned, against the planted truth (issue 10; docs/demo.md, "Quality").

measure(conn) is the one implementation of the quality metrics, read by bench/bench_quality.py and by the
report. It reads the database only: the truth in the latest learning.synthetic_run.planted, the lessons in
learning.learning_lessons, the out-of-sample scores in learning.override_score and the override generation in
force (through learning.resolve_overrides, called inside a transaction that is rolled back). Only lessons of
status 'active' are in force; 'stale', 'retired' and 'rolled_back' ones are not.

A planted effect is (pattern_key, action_category, scope) at its EXACT scope: a lesson on a wider or narrower
scope of a planted pattern is not that effect.

- recall: planted effects with an active lesson at exactly their scope / planted effects;
- FDR: active lessons that are not a planted effect at its exact scope / active lessons (0 with none active);
- lever direction: recalled effects whose lesson moved its lever the expected way (size_mult > 1 or < 1,
  entry_delay_bars > 0) / recalled effects;
- fading half-life: decay_halflife_hours of the fading pattern's lesson at its planted scope (whatever its
  status) and its ratio to the truth (expect.half_life_hours, 672 h);
- signed out-of-sample excess R per trade: over learning.override_score rows (one per override and scored
  window) with trades_matched > 0 and size_mult != 1,
      signed_excess = sign(size_mult - 1) * (matched_sum_rr - trades_matched * pattern_sum_rr / pattern_trades)
      per_trade     = sum(signed_excess) / sum(trades_matched),
  for all rows and for the rows whose lesson is a planted effect at its exact scope ("planted alone");
- resolve share: for each planted effect with a capital lever, up to 100 logged full scopes of its pattern and
  category that contain the planted scope; the share of resolve_overrides calls on them whose applied strength
  lesson is the planted lesson (no lesson at the planted scope: every call is a miss).
"""

from __future__ import annotations

import json
import math
import time

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

BASE_LEVERS = {"A_value": 0.5, "E_value": 0.5, "position_size_frac": 0.1}
CAPITAL_LEVERS = ("size_mult",)
RESOLVE_CALLS_PER_EFFECT = 100
SIZE_EPS = 1e-9  # |size_mult - 1| below this is neutral: sign 0
# Each row's signed excess is rounded to 1e-9 R: a lesson at the pattern-wide scope {} that matched all its
# pattern's trades has an excess of exactly 0, not float noise (which would make the ratio meaningless).
HALF_LIFE_BAND = 1.5

# Issue 10's targets; FDR is judged pooled over the seeds, the others on every seed.
TARGETS = {
    "fdr": "FDR <= 5 % (pooled over the seeds)",
    "recall": "recall at exact scope >= 95 %",
    "direction": "lever direction 100 %",
    "half_life": "fading half-life within 1.5x of the truth",
    "oos": "signed OOS excess R/trade of all applied overrides > 0 and >= half of planted alone",
    "resolve": "resolve_overrides applies the planted lesson in >= 95 % of calls at planted scopes",
}


def _rows(conn: psycopg.Connection, sql: str, params: tuple = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def scope_key(scope: dict | None) -> str:
    """A canonical text of a scope: equal scopes, equal keys (key order and int-vs-digit-string do not matter)."""
    return json.dumps({k: str(v) for k, v in (scope or {}).items()}, sort_keys=True)


def effect_key(pattern_key: str, action_category: str, scope: dict | None) -> tuple[str, str, str]:
    return pattern_key, action_category, scope_key(scope)


def lever_value(effect: dict | None, name: str):
    """A lever of a lesson's effect document (capital or execution), None when absent."""
    for group in ("capital_levers", "execution_levers"):
        if name in ((effect or {}).get(group) or {}):
            return effect[group][name]
    return None


def right_direction(effect: dict | None, expect: dict) -> bool:
    """Did the lesson move the planted effect's lever the expected way?"""
    v = lever_value(effect, expect["lever"])
    if v is None:
        return False
    neutral = 0 if expect["lever"] == "entry_delay_bars" else 1
    return v > neutral if expect["direction"] == "up" else v < neutral


def _share(num: float, den: float) -> float | None:
    return num / den if den else None


def planted_truth(conn: psycopg.Connection) -> dict | None:
    """The latest synthetic_run row (seed, size, planted list), None for a history that was not generated."""
    rows = _rows(conn, "SELECT run_id, seed, trades, weeks, patterns, planted FROM learning.synthetic_run"
                       " ORDER BY run_id DESC LIMIT 1")
    return rows[0] if rows else None


def _oos(conn: psycopg.Connection, planted_keys: set) -> dict:
    """Signed out-of-sample excess per scored lesson, summed for all rows and for the planted lessons."""
    per_lesson = _rows(conn, """
        SELECT s.lesson_id, l.pattern_key, l.action_category, l.scope_values,
               sum(s.trades_matched)::bigint AS trades,
               sum(round((sign(s.size_mult - 1)
                          * (s.matched_sum_rr - s.trades_matched * s.pattern_sum_rr / s.pattern_trades))::numeric, 9)
                  )::float AS signed_excess
        FROM learning.override_score AS s
        LEFT JOIN learning.learning_lessons AS l ON l.id = s.lesson_id
        WHERE s.trades_matched > 0 AND abs(s.size_mult - 1) > %s
        GROUP BY s.lesson_id, l.pattern_key, l.action_category, l.scope_values
        ORDER BY s.lesson_id""", (SIZE_EPS,))
    out = {"all": {"trades": 0, "signed_excess": 0.0}, "planted": {"trades": 0, "signed_excess": 0.0}, "lessons": {}}
    for r in per_lesson:
        planted = r["pattern_key"] is not None and effect_key(r["pattern_key"], r["action_category"], r["scope_values"]) in planted_keys
        groups = ("all", "planted") if planted else ("all",)
        for g in groups:
            out[g]["trades"] += int(r["trades"])
            out[g]["signed_excess"] += float(r["signed_excess"])
        out["lessons"][r["lesson_id"]] = {"trades": int(r["trades"]), "signed_excess": float(r["signed_excess"])}
    for g in ("all", "planted"):
        out[g]["per_trade"] = _share(out[g]["signed_excess"], out[g]["trades"])
    return out


def _resolve_calls(conn: psycopg.Connection, p: dict, lesson_id: int | None, limit: int) -> tuple[int, int]:
    """(calls, calls applying lesson_id) of resolve_overrides on logged scopes inside the planted scope."""
    scopes = [r["scope"] for r in _rows(conn, """
        SELECT scope FROM learning.action_log
        WHERE pattern_key = %s AND action_category = %s AND scope @> %s
        ORDER BY md5(id::text) LIMIT %s""", (p["pattern_key"], p["action_category"], Jsonb(p["scope"]), limit))]
    hits = 0
    with conn.transaction(force_rollback=True):  # resolve_overrides records telemetry: leave nothing behind
        for scope in scopes:
            doc = conn.execute("SELECT learning.resolve_overrides(%s, %s, %s, %s, '{}')",
                               (p["pattern_key"], p["action_category"], Jsonb(scope), Jsonb(BASE_LEVERS))).fetchone()[0]
            applied = (doc.get("applied") or {}).get("strength") or {}
            hits += int(lesson_id is not None and applied.get("lesson_id") == lesson_id)
    return len(scopes), hits


def measure(conn: psycopg.Connection, *, resolve_calls: int = RESOLVE_CALLS_PER_EFFECT) -> dict:
    """Every quality figure of the current database state, with details per planted effect (module doc)."""
    t0 = time.perf_counter()
    truth = planted_truth(conn)
    planted = list(truth["planted"]) if truth else []
    planted_keys = {effect_key(p["pattern_key"], p["action_category"], p["scope"]) for p in planted}
    planted_patterns = {(p["pattern_key"], p["action_category"]) for p in planted}
    lessons = _rows(conn, "SELECT id, pattern_key, action_category, scope_values, status, effect, edge_raw, n,"
                          " lesson_strength, decay_halflife_hours, latent_factor_id FROM learning.learning_lessons ORDER BY id")
    by_key = {effect_key(les["pattern_key"], les["action_category"], les["scope_values"]): les for les in lessons}
    active = [les for les in lessons if les["status"] == "active"]
    false = [les for les in active if effect_key(les["pattern_key"], les["action_category"], les["scope_values"]) not in planted_keys]
    false_on_planted = sum(1 for les in false if (les["pattern_key"], les["action_category"]) in planted_patterns)
    oos = _oos(conn, planted_keys)

    effects = []
    for p in planted:
        les = by_key.get(effect_key(p["pattern_key"], p["action_category"], p["scope"]))
        exp = p["expect"]
        e = {"key": p["key"], "pattern_key": p["pattern_key"], "action_category": p["action_category"], "scope": p["scope"],
             "lever": exp.get("lever"), "direction": exp.get("direction"),
             "lesson_id": les["id"] if les else None, "status": les["status"] if les else None,
             "lever_value": lever_value(les["effect"], exp["lever"]) if les and exp.get("lever") else None}
        e["recalled"] = bool(les and les["status"] == "active")
        e["direction_ok"] = bool(e["recalled"] and exp.get("lever") and right_direction(les["effect"], exp))
        if "half_life_hours" in exp:
            e["half_life_hours"] = les["decay_halflife_hours"] if les else None
            e["half_life_truth_hours"] = exp["half_life_hours"]
        if "same_factor_as" in exp:
            e["latent_factor_id"] = les["latent_factor_id"] if les else None
        scored = oos["lessons"].get(les["id"]) if les else None
        e["oos_trades"] = scored["trades"] if scored else 0
        e["oos_per_trade"] = _share(scored["signed_excess"], scored["trades"]) if scored else None
        if exp.get("lever") in CAPITAL_LEVERS:
            e["resolve_calls"], e["resolve_planted"] = _resolve_calls(conn, p, e["lesson_id"], resolve_calls)
        effects.append(e)

    recalled = [e for e in effects if e["recalled"]]
    fading = next((e for e in effects if "half_life_truth_hours" in e), None)
    hl, hl_truth = (fading["half_life_hours"], fading["half_life_truth_hours"]) if fading else (None, None)
    hl_ratio = hl / hl_truth if hl and hl_truth else None
    calls = [e for e in effects if "resolve_calls" in e]
    fig = {
        "seed": truth["seed"] if truth else None,
        "planted": len(planted),
        "recall_found": len(recalled),
        "recall": _share(len(recalled), len(planted)),
        "lessons": len(lessons),
        "active": len(active),
        "false": len(false),
        "false_on_planted_patterns": false_on_planted,
        "false_on_other_patterns": len(false) - false_on_planted,
        "fdr": len(false) / len(active) if active else 0.0,
        "direction_right": sum(1 for e in recalled if e["direction_ok"]),
        "direction_recalled": len(recalled),
        "direction": _share(sum(1 for e in recalled if e["direction_ok"]), len(recalled)),
        "half_life_hours": hl,
        "half_life_truth_hours": hl_truth,
        "half_life_ratio": hl_ratio,
        "half_life_lesson_status": fading["status"] if fading else None,
        "oos_trades": oos["all"]["trades"],
        "oos_signed_excess": oos["all"]["signed_excess"],
        "oos_per_trade": oos["all"]["per_trade"],
        "oos_planted_trades": oos["planted"]["trades"],
        "oos_planted_signed_excess": oos["planted"]["signed_excess"],
        "oos_planted_per_trade": oos["planted"]["per_trade"],
        "resolve_calls": sum(e["resolve_calls"] for e in calls),
        "resolve_planted": sum(e["resolve_planted"] for e in calls),
        "effects": effects,
        "false_lessons": [{"id": les["id"], "pattern_key": les["pattern_key"], "action_category": les["action_category"],
                           "scope": les["scope_values"], "n": les["n"], "edge_raw": les["edge_raw"],
                           "planted_pattern": (les["pattern_key"], les["action_category"]) in planted_patterns}
                          for les in false],
    }
    fig["oos_ratio"] = _ratio(fig["oos_per_trade"], fig["oos_planted_per_trade"])
    fig["resolve_share"] = _share(fig["resolve_planted"], fig["resolve_calls"])
    fig["seconds"] = round(time.perf_counter() - t0, 2)
    return fig


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def half_life_within(ratio: float | None, band: float = HALF_LIFE_BAND) -> bool:
    """ratio in [1 / band, band]."""
    return ratio is not None and ratio > 0 and abs(math.log(ratio)) <= math.log(band) + 1e-12


def check_targets(fig: dict) -> dict[str, bool]:
    """Issue 10's targets on one figure set (a seed's, or the pooled one: FDR is judged pooled)."""
    per, planted = fig["oos_per_trade"], fig["oos_planted_per_trade"]
    return {
        "fdr": fig["fdr"] <= 0.05,
        "recall": fig["recall"] is not None and fig["recall"] >= 0.95,
        "direction": fig["direction"] == 1.0,
        "half_life": half_life_within(fig["half_life_ratio"]),
        "oos": per is not None and per > 0 and (planted is None or per >= 0.5 * planted),
        "resolve": fig["resolve_share"] is not None and fig["resolve_share"] >= 0.95,
    }


def pool(figs: list[dict]) -> dict:
    """Pooled figures over seeds: sums of counts (recall, FDR, direction, resolve: ratios of summed counts), OOS
    per trade as summed signed excess / summed trades; half-life: the worst seed's ratio (farthest from 1)."""
    s = {k: sum(f[k] for f in figs) for k in ("planted", "recall_found", "active", "false", "false_on_planted_patterns",
                                              "false_on_other_patterns", "direction_right", "direction_recalled",
                                              "oos_trades", "oos_signed_excess", "oos_planted_trades",
                                              "oos_planted_signed_excess", "resolve_calls", "resolve_planted")}
    s["seeds"] = [f["seed"] for f in figs]
    s["recall"] = _share(s["recall_found"], s["planted"])
    s["fdr"] = s["false"] / s["active"] if s["active"] else 0.0
    s["direction"] = _share(s["direction_right"], s["direction_recalled"])
    s["oos_per_trade"] = _share(s["oos_signed_excess"], s["oos_trades"])
    s["oos_planted_per_trade"] = _share(s["oos_planted_signed_excess"], s["oos_planted_trades"])
    s["oos_ratio"] = _ratio(s["oos_per_trade"], s["oos_planted_per_trade"])
    s["resolve_share"] = _share(s["resolve_planted"], s["resolve_calls"])
    ratios = [f["half_life_ratio"] for f in figs]
    known = [r for r in ratios if r]
    s["half_life_ratio"] = (None if len(known) < len(ratios) or not known
                            else max(known, key=lambda r: abs(math.log(r))))
    s["half_life_hours"] = [f["half_life_hours"] for f in figs]
    s["half_life_truth_hours"] = figs[0]["half_life_truth_hours"] if figs else None
    return s


def pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def num(v: float | None, fmt: str = "+.3f") -> str:
    return "n/a" if v is None else format(v, fmt)


def summary_lines(fig: dict) -> list[str]:
    """The headline figures as text lines (the report's top, the bench's per-seed table)."""
    hl = fig["half_life_hours"]
    return [
        f"recall at exact scope   {fig['recall_found']}/{fig['planted']} = {pct(fig['recall'])}",
        f"FDR (active lessons)    {fig['false']}/{fig['active']} false = {pct(fig['fdr'])}"
        f"  ({fig['false_on_planted_patterns']} at other scopes of planted patterns,"
        f" {fig['false_on_other_patterns']} on other patterns)",
        f"lever direction         {fig['direction_right']}/{fig['direction_recalled']} = {pct(fig['direction'])}",
        f"fading half-life        {hl if hl is not None else 'n/a'} h vs truth {fig['half_life_truth_hours'] or 'n/a'} h"
        f" = {num(fig['half_life_ratio'], '.2f')}x",
        f"OOS signed excess R/trd all overrides {num(fig['oos_per_trade'])} ({fig['oos_trades']} trades),"
        f" planted alone {num(fig['oos_planted_per_trade'])} ({fig['oos_planted_trades']} trades),"
        f" ratio {num(fig['oos_ratio'], '.2f')}",
        f"resolve at planted scope {fig['resolve_planted']}/{fig['resolve_calls']} apply the planted lesson"
        f" = {pct(fig['resolve_share'])}",
    ]
