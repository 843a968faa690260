"""A deterministic synthetic market with planted edges (docs/demo.md).

generate(conn, trades=..., weeks=..., patterns=..., seed=..., planted=True) loads phase states, cap buckets, PM and
DM actions with full scope and controls, and closed trades through COPY, so every row passes the same validation
triggers as learning.log_action / learning.close_trade.

Planted effects (everything else is noise around rr ~ N(0.1, 1.0)); PLANTED_EFFECTS is the truth at exact scope:
  pm.uptrend.S1.buy_flag   entry  +1.0 R when macro_phase = Recover             (single-dim edge)
  pm.breakout.S2.vol_flag  entry  +1.2 R when bucket = micro AND timeframe = 1h  (two-dim interaction)
  pm.fade.S1.early_flag    entry  +1.5 R * 2^(-age_weeks / 4)                    (fading edge, half-life 672 h)
  pm.twin.S1.alpha / .beta entry  +0.6 R; beta fires on 95 % of alpha's trades    (one latent factor)
  pm.late.S1.entry_flag    entry  counterfactual only: a 2-3 bar later entry would have gained R (no R/R edge)
  pm.panic.S3.dump_flag    exit   -0.8 R when macro_phase = Oh-Shit               (negative edge)
planted=False draws the very same history (same rng sequence, same patterns, twin_b still rides on twin_a) with
none of these effects: a pure-noise history, recorded with planted = [].
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator

from .bulk import copy_rows
from .progress import bar

PHASES = ["Dip", "Double-Dip", "Oh-Shit", "Recover", "Good", "Euphoria"]
BUCKETS = ["nano", "micro", "mid", "big"]
TIMEFRAMES = ["15m", "1h", "4h"]
MODES = ["patient", "normal", "aggressive"]
START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday

PLANTED = {
    "single": "pm.uptrend.S1.buy_flag",
    "interaction": "pm.breakout.S2.vol_flag",
    "fading": "pm.fade.S1.early_flag",
    "twin_a": "pm.twin.S1.alpha",
    "twin_b": "pm.twin.S1.beta",
    "late_entry": "pm.late.S1.entry_flag",
    "negative_exit": "pm.panic.S3.dump_flag",
}
SIGNALS = ("TS", "OX", "DX", "EDX", "OBV_z")

FADING_HALF_LIFE_HOURS = 4 * 7 * 24  # the fading edge halves every 4 weeks: 672 h

# The truth, stored in learning.synthetic_run.planted and read by pglearn.quality and the report: each planted
# effect at its EXACT scope (a lesson on a wider or narrower scope is not it) with the lever it should move.
#   expect.lever / expect.direction: "size_mult" up (> 1) or down (< 1); "entry_delay_bars" up (> 0);
#   expect.half_life_hours: the true half-life of a decaying edge;
#   expect.same_factor_as: the pattern sharing its latent factor (the twins).
#   rr_effect: false when the effect lives only in the counterfactuals (no R/R edge).
PLANTED_EFFECTS = [
    {"key": "single", "pattern_key": PLANTED["single"], "action_category": "entry", "scope": {"macro_phase": "Recover"},
     "effect": "+1.0 R when macro_phase = Recover (one dimension)", "rr_effect": True,
     "expect": {"lever": "size_mult", "direction": "up"}},
    {"key": "interaction", "pattern_key": PLANTED["interaction"], "action_category": "entry",
     "scope": {"bucket": "micro", "timeframe": "1h"},
     "effect": "+1.2 R when bucket = micro and timeframe = 1h (two-dimension interaction)", "rr_effect": True,
     "expect": {"lever": "size_mult", "direction": "up"}},
    {"key": "negative_exit", "pattern_key": PLANTED["negative_exit"], "action_category": "exit",
     "scope": {"macro_phase": "Oh-Shit"}, "effect": "-0.8 R when macro_phase = Oh-Shit (negative edge)", "rr_effect": True,
     "expect": {"lever": "size_mult", "direction": "down"}},
    {"key": "fading", "pattern_key": PLANTED["fading"], "action_category": "entry", "scope": {},
     "effect": "+1.5 R * 2^(-age_weeks / 4): halving every 4 weeks (fading edge)", "rr_effect": True,
     "expect": {"lever": "size_mult", "direction": "up", "half_life_hours": FADING_HALF_LIFE_HOURS}},
    {"key": "late_entry", "pattern_key": PLANTED["late_entry"], "action_category": "entry", "scope": {},
     "effect": "counterfactual only: entering 2-3 bars later gains 0.2-0.6 R (no R/R edge)", "rr_effect": False,
     "expect": {"lever": "entry_delay_bars", "direction": "up"}},
    {"key": "twin_a", "pattern_key": PLANTED["twin_a"], "action_category": "entry", "scope": {},
     "effect": "+0.6 R on every trade; twin_b fires on 95 % of them (one latent factor)", "rr_effect": True,
     "expect": {"lever": "size_mult", "direction": "up", "same_factor_as": PLANTED["twin_b"]}},
    {"key": "twin_b", "pattern_key": PLANTED["twin_b"], "action_category": "entry", "scope": {},
     "effect": "rides on 95 % of twin_a's trades: the same +0.6 R (the same latent factor)", "rr_effect": True,
     "expect": {"lever": "size_mult", "direction": "up", "same_factor_as": PLANTED["twin_a"]}},
]


@dataclass
class Market:
    """Phase timeline, bucket ranking and token buckets of a synthetic history: the feed the scopes are built from
    (by learning._scopes, the stack's one scope rule, once these rows are loaded)."""

    weeks: int
    rng: random.Random
    phase_rows: list = field(default_factory=list)  # (ts, macro, meso, micro)
    bucket_rows: list = field(default_factory=list)  # (ts, bucket, phase, rank, population)
    token_rows: list = field(default_factory=list)  # (token, valid_from, bucket)
    tokens: list = field(default_factory=list)

    def build(self, n_tokens: int) -> None:
        rng = self.rng
        # the macro phase moves every two weeks through a shuffled cycle of all six phases, so every planted
        # macro scope (Recover, Oh-Shit) occurs in any history of 12 weeks or more
        cycle = rng.sample(PHASES, len(PHASES))
        macro = cycle[0]
        meso = rng.choice(PHASES)
        ranking = BUCKETS[:]
        for day in range(self.weeks * 7):
            ts = START + timedelta(days=day)
            if day % 14 == 0:
                macro = cycle[(day // 14) % len(cycle)]
            if day % 4 == 0:
                meso = rng.choice(PHASES)
            micro = rng.choice(PHASES)
            self.phase_rows.append((ts, macro, meso, micro))
            if rng.random() < 0.3:
                i, j = rng.sample(range(4), 2)
                ranking[i], ranking[j] = ranking[j], ranking[i]
            for pos, bucket in enumerate(ranking, start=1):
                self.bucket_rows.append((ts, bucket, rng.choice(PHASES), pos, rng.randint(5, 60)))
        for t in range(n_tokens):
            token = f"TOK{t:05d}"
            bucket = rng.choice(BUCKETS)
            self.token_rows.append((token, START, bucket))
            self.tokens.append(token)
            if rng.random() < 0.2:
                moved = START + timedelta(days=rng.randrange(1, self.weeks * 7))
                self.token_rows.append((token, moved, rng.choice(BUCKETS)))


# Planted patterns per category with an R/R effect (entry: uptrend, breakout, fade, twin_a and twin_b, which
# rides on twin_a's trades; exit: panic) and without one (entry: late, counterfactual only).
RR_EFFECT_PATTERNS = {"entry": 5, "add": 0, "trim": 0, "exit": 1}
NO_EFFECT_PLANTED = {"entry": 1, "add": 0, "trim": 0, "exit": 0}
_VERBS = {"entry": "buy", "add": "add", "trim": "trim", "exit": "cut"}


def _scopes(conn, requests: list[tuple]) -> list[dict]:
    """The scope of each request (token, ts, timeframe, family, A_mode, E_mode), in order, from learning._scopes,
    the stack's scope rule, over the feed already loaded in this transaction."""
    columns = list(zip(*requests)) if requests else [()] * 6
    rows = conn.execute(
        "SELECT scope, missing FROM learning._scopes(%s, %s, %s, %s, %s, %s) ORDER BY ord",
        (list(columns[0]), list(columns[2]), list(columns[3]), list(columns[4]), list(columns[5]), list(columns[1]))).fetchall()
    missing = next((m for _, m in rows if m is not None), None)
    if missing is not None:
        raise ValueError(f"synthetic market: a scope input is missing ({missing})")
    return [scope for scope, _ in rows]


def _noise_categories() -> Iterator[str]:
    """The category of each successive noise pattern: entry, then exit, until the patterns without an R/R
    effect are a strict majority there; then one each for add and trim; then round robin."""
    for cat in ("entry", "exit"):
        yield from [cat] * (RR_EFFECT_PATTERNS[cat] + 1 - NO_EFFECT_PLANTED[cat])
    yield from ("add", "trim")
    while True:
        yield from ("entry", "add", "trim", "exit")


def pattern_names(n: int) -> dict[str, list[str]]:
    """Pattern keys per action category that get trades of their own: the 7 planted patterns (twin_b is not
    listed: it rides on twin_a's trades) plus n - 7 noise patterns pm.noiseNNN.

    The stack's baseline is the trade-weighted median of a category's pattern-wide mean rr, which assumes that
    the patterns without an R/R effect are a strict majority in every category. So the noise patterns go first
    to entry until its no-effect patterns (late + noise) outnumber its 5 R/R-effect patterns (5 noise), then to
    exit until they outnumber panic (2 noise), then one each to add and trim, then round robin entry, add,
    trim, exit. n = 16 (the demo's default: 7 planted + 9 noise) is the smallest n with that majority
    everywhere; below it the first categories in that order get what there is.
    """
    cats = {
        "entry": [PLANTED[k] for k in ("single", "interaction", "fading", "twin_a", "late_entry")],
        "add": [],
        "trim": [],
        "exit": [PLANTED["negative_exit"]],
    }
    noise = _noise_categories()
    i = 0
    while sum(len(v) for v in cats.values()) + 1 < n:  # +1: twin_b rides on twin_a
        cat = next(noise)
        cats[cat].append(f"pm.noise{i:03d}.S{1 + i % 3}.{_VERBS[cat]}_flag")
        i += 1
    return cats


ACTION_TYPES = {"entry": ["E1", "E2", "entry_immediate"], "add": ["add", "scale_up"], "trim": ["trim", "partial_exit"],
                "exit": ["cut", "emergency_exit", "panic_exit"]}


def _controls(rng: random.Random) -> str:
    return json.dumps({
        "signals": {s: round(rng.random(), 3) for s in SIGNALS},
        "applied_knobs": {"entry_delay_bars": rng.randint(0, 2), "phase1_frac": 0.15, "trim_delay": 3,
                          "trail_mult": 1.0, "min_ts_for_add": 0.5},
    }, separators=(",", ":"))


def generate(conn, *, trades: int = 5000, weeks: int = 12, patterns: int = 24, seed: int = 7,
             dm_share: float = 0.05, planted: bool = True) -> dict:
    """Generate and load a synthetic history; returns counts and the planted pattern keys.

    planted=False: the same history (same seed, same draws, same patterns and structure) without any planted
    effect, neither on R/R nor in the counterfactuals; its synthetic_run row says planted = [].

    The database must hold no actions yet (ValueError otherwise): the synthetic market is a whole history.
    """
    if conn.execute("SELECT EXISTS (SELECT 1 FROM learning.action_log)").fetchone()[0]:
        raise ValueError("the database already holds actions: generate a synthetic market into an empty database"
                         " (make demo uses a fresh pglearn_demo)")
    started = time.perf_counter()
    rng = random.Random(seed)
    market = Market(weeks=weeks, rng=rng)
    market.build(n_tokens=max(50, trades // 20))
    cats = pattern_names(patterns)
    on = 1.0 if planted else 0.0  # the planted effects' weight: 0 draws the same history without them
    tokens = market.tokens
    span = weeks * 7 * 86400 - 3 * 86400
    # Pass 1 draws the whole history; a scope is requested, not computed: requests[i] = (token, ts, timeframe,
    # family, A_mode, E_mode), resolved in pass 2 by learning._scopes. No draw depends on a scope, so the rng
    # sequence is the history's and the seed alone fixes it.
    requests: list[tuple] = []
    drawn: list[dict] = []
    for i in bar(range(trades), desc="generate: draw", unit=" trades"):
        pos = f"pos{i:07d}"
        t0 = START + timedelta(seconds=rng.randrange(span))
        token = rng.choice(tokens)
        family = rng.choices(["lowcaps", "midcaps", "majors"], [0.8, 0.15, 0.05])[0]
        timeframe = rng.choices(TIMEFRAMES, [0.3, 0.5, 0.2])[0]
        a_mode, e_mode = rng.choice(MODES), rng.choice(MODES)

        def ask(ts: datetime) -> int:
            requests.append((token, ts, timeframe, family, a_mode, e_mode))
            return len(requests) - 1

        scope = ask(t0)
        hold = rng.uniform(1, 96)
        trade = {"pos": pos, "t0": t0, "timeframe": timeframe, "scope": scope, "rr": rng.gauss(0.1, 1.0),
                 "details": {}, "fired": []}
        drawn.append(trade)
        if rng.random() < dm_share:
            trade["dm"] = {"curator_tier": rng.choice("SABC"), "intent": rng.choice(["buy", "accumulate"]),
                           "chain": rng.choice(["solana", "base"])}
            trade["closed_at"] = t0 + timedelta(hours=hold)
            continue
        entry = trade["entry"] = rng.choice(cats["entry"])
        fired = [(entry, "entry", t0, scope)]
        if entry == PLANTED["twin_a"] and rng.random() < 0.95:
            # structure, not an effect: twin_b rides on twin_a in a pure-noise history too
            fired.append((PLANTED["twin_b"], "entry", t0, scope))
        if entry == PLANTED["late_entry"]:
            cf = {"cf_entry_delay_bars": rng.choice([2, 3]), "cf_entry_gain_rr": round(rng.uniform(0.2, 0.6), 3)}
            trade["details"] = cf if planted else {}
        if rng.random() < 0.4 and cats["add"]:
            ts = t0 + timedelta(hours=hold * 0.3)
            fired.append((rng.choice(cats["add"]), "add", ts, ask(ts)))
        if rng.random() < 0.5 and cats["trim"]:
            ts = t0 + timedelta(hours=hold * 0.6)
            fired.append((rng.choice(cats["trim"]), "trim", ts, ask(ts)))
        ts_exit = t0 + timedelta(hours=hold)
        trade["exit_scope"] = ask(ts_exit)
        trade["exit"] = rng.choice(cats["exit"])
        fired.append((trade["exit"], "exit", ts_exit, trade["exit_scope"]))
        if rng.random() < 0.1:
            trade["details"].setdefault("cf_exit_direction", rng.choice(["earlier", "later"]))
            trade["details"].setdefault("cf_exit_gain_rr", round(rng.uniform(0, 0.5), 3))
        trade["fired"] = [(key, rng.choice(ACTION_TYPES[cat]), ts, sc) for key, cat, ts, sc in fired]
        trade["closed_at"] = ts_exit + timedelta(minutes=1)

    with conn.transaction():
        copy_rows(conn, "phase_state", "ts, macro_phase, meso_phase, micro_phase", market.phase_rows)
        copy_rows(conn, "phase_state_bucket", "ts, bucket, phase, rank_position, population", market.bucket_rows)
        copy_rows(conn, "token_cap_bucket", "token, valid_from, bucket", market.token_rows)
        scopes = _scopes(conn, requests)
        # Pass 3: the planted effects, which read the scopes (in the order they were always added)
        actions, closes = [], []
        for trade in bar(drawn, desc="generate: effects", unit=" trades"):
            scope, rr = scopes[trade["scope"]], trade["rr"]
            if "dm" in trade:
                dm_scope = {**trade["dm"], "bucket": scope["bucket"], "macro_phase": scope["macro_phase"]}
                actions.append((trade["pos"], trade["t0"], f"dm.curator.tier{dm_scope['curator_tier']}", "E1", dm_scope))
                closes.append((trade["pos"], trade["closed_at"], rr, {}))
                continue
            entry = trade["entry"]
            if entry == PLANTED["single"] and scope["macro_phase"] == "Recover":
                rr += 1.0 * on
            if entry == PLANTED["interaction"] and scope["bucket"] == "micro" and trade["timeframe"] == "1h":
                rr += 1.2 * on
            if entry == PLANTED["fading"]:
                rr += 1.5 * 2 ** (-((trade["t0"] - START).days / 7) / 4) * on
            if entry == PLANTED["twin_a"]:
                rr += 0.6 * on
            if trade["exit"] == PLANTED["negative_exit"] and scopes[trade["exit_scope"]]["macro_phase"] == "Oh-Shit":
                rr -= 0.8 * on
            actions.extend((trade["pos"], ts, key, atype, scopes[sc]) for key, atype, ts, sc in trade["fired"])
            closes.append((trade["pos"], trade["closed_at"], rr, trade["details"]))
        n_actions = copy_rows(conn, "action_log", "position_id, ts, pattern_key, action_type, scope, controls",
                          ((p, ts, k, t, json.dumps(sc), _controls(rng)) for p, ts, k, t, sc in actions))
        n_trades = copy_rows(conn, "completed_trades", "position_id, closed_at, rr, details",
                         ((p, ts, round(rr, 4), json.dumps(d)) for p, ts, rr, d in closes))
        end = START + timedelta(weeks=weeks)
        conn.execute(
            "INSERT INTO learning.synthetic_run (seed, trades, weeks, patterns, history_from, history_to, planted, seconds)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (seed, n_trades, weeks, patterns, START, end, json.dumps(PLANTED_EFFECTS if planted else []),
             time.perf_counter() - started))
    return {"trades": n_trades, "actions": n_actions, "weeks": weeks, "start": START.isoformat(),
            "end": end.isoformat(), "planted": PLANTED if planted else {}, "patterns": cats}
