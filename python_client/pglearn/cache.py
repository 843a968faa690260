"""pglearn.OverrideCache: resolve_overrides in process, with the SQL function's semantics (docs/api.md, "OverrideCache").

The cache holds the current override generation (learning.override_cache_rows), the feature flags and the integer
scope dimensions (learning.override_cache_state), indexed per (pattern, category) in rank order. resolve() answers
with the document `SELECT resolve_overrides(...)` returns (but "telemetry": "batched" or "off"); bad arguments raise
pglearn.InvalidValue (22023) as the function does. A background thread reloads the cache when a generation is
published (LISTEN pglearn_overrides on the primary) or when polling the read DSN shows a new generation or new flags
(a hot standby cannot LISTEN), and ships the decision counters in batches (learning.record_override_decisions). A
clean close() flushes; a crash loses the counters of at most one flush interval.

The hot path (docs/api.md, "OverrideCache"): everything that depends only on the snapshot is computed at load time,
per (pattern, category) and per candidate (the candidates' scopes as frozensets of items in rank order, the mode,
the levers, the "applied" document, the telemetry token); a call checks its arguments with the SQL function's good-
path test, finds the first contained scope with one C-level scan, multiplies and clamps, and appends the candidate's
token to a deque (an atomic append: no lock, no tuple built per call), which the background thread counts.
"""

from __future__ import annotations

import json
import math
import operator
import re
import threading
import time
from collections import Counter, deque
from datetime import datetime, timezone
from itertools import repeat

import psycopg

from .client import Resolution
from .errors import InvalidValue, translate

CATEGORIES = frozenset(("entry", "add", "trim", "exit"))
BASE_KEYS = ("A_value", "E_value", "position_size_frac")
# the plan controls resolve_overrides acts on: each must be a number within +/- 1e6 when present
CONTROL_KEYS = frozenset(("entry_delay_bars", "phase1_frac", "trim_delay", "trail_speed", "panic_trigger",
                          "min_ts_for_add", "min_ox_for_trim"))
PATTERN_KEY_RE = re.compile(r"(pm|dm)(\.[A-Za-z0-9_-]+)+")
INT_MAX = 1_000_000
CHANNEL = "pglearn_overrides"
_NO_MATCH_APPLIED = {"strength": None, "execution": None}
_COLS = ("pattern_key, action_category, scope_values, lesson_id, size_mult, entry_aggression_mult, exit_aggression_mult, "
         "entry_delay_bars, phase1_frac_mult, trim_delay_mult, trail_mult, panic_trigger_mult, signal_thresholds, "
         "strength_doc, execution_doc")
_ROWS_SQL = (f"SELECT coalesce(json_agg(json_build_array({_COLS}) ORDER BY n), '[]')::text "
             f"FROM learning.override_cache_rows(%s) WITH ORDINALITY AS r ({_COLS}, n)")
_MISSING = object()
_now = time.time


class _Bool:
    """A JSON boolean standing in a scope for matching: never equal to a number (Python's True == 1 is)."""

    __slots__ = ("v",)

    def __init__(self, v: bool):
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.v == self.v

    def __hash__(self) -> int:
        return hash(("json-bool", self.v))


def _is_num(v: object) -> bool:
    return (type(v) is int or type(v) is float) and not (type(v) is float and not math.isfinite(v))


def _digit_string(v: object) -> bool:
    return type(v) is str and v.isascii() and v.isdigit()


def _suspicious(v: object) -> bool:
    """resolve_overrides' closer-look test of a scope value: a number that is not a plain integer in [1, 1e6], or a
    digit string; an array is looked into one level (jsonpath lax mode)."""
    if type(v) is list:
        return any(type(x) is not list and _suspicious(x) for x in v)
    if _is_num(v) or type(v) is float:
        return not (1 <= v <= INT_MAX and v == math.floor(v))
    return _digit_string(v)


def _as_text(v: object) -> str | None:
    """jsonb ->> of a scope value, for the regime and bucket gates."""
    if v is None or v is _MISSING:
        return None
    if type(v) is str:
        return v
    if type(v) is bool or type(v) is _Bool:
        return "true" if (v if type(v) is bool else v.v) else "false"
    return json.dumps(v, separators=(", ", ": "))


class _State:
    """One immutable snapshot: a generation, its index and the flags. Swapped whole by the reload thread.

    index: {pattern_key: {action_category: entry}}, entry = (integer dims of the namespace, the candidates' scopes
    (frozensets of items) in rank order, {scope: candidate}, mode, shadow, telemetry word); a candidate is a tuple
    (lesson_id, entry_aggression_mult, exit_aggression_mult, size_mult, execution controls or None, applied document,
    strength_doc, execution_doc, telemetry token), the execution controls (entry_delay_bars, the multipliers it has
    as (control, multiplier, clamp above at 1, clamp below at 0), signal_thresholds) None when the override moves
    none of them (the controls then come back as given). The telemetry token (generation, lesson_id, shadow, execution 0/1) is
    what the counters count.
    """

    __slots__ = ("generation", "flags", "index", "int_dims", "enabled", "regimes", "buckets", "mode", "mode_by_pattern",
                 "open")

    def __init__(self, state: dict, rows: list, telemetry: str = "off"):
        self.generation = gen = state.get("generation")
        self.flags = flags = state.get("flags") or {}
        self.int_dims = state.get("integer_dims") or {}
        self.enabled = flags.get("learning_overrides_enabled") is True
        self.regimes = frozenset(x for x in (flags.get("learning_overrides_enabled_regimes") or []) if type(x) is str)
        self.buckets = frozenset(x for x in (flags.get("learning_overrides_enabled_buckets") or []) if type(x) is str)
        mode = flags.get("learning_overrides_mode")
        self.mode = mode if type(mode) is str else "apply"
        self.mode_by_pattern = {k: v for k, v in (flags.get("learning_overrides_mode_by_pattern") or {}).items() if type(v) is str}
        # the feature-flag gate needs no look at the scope: enabled, no regime list, no bucket list
        self.open = self.enabled and not self.regimes and not self.buckets
        index: dict = {}
        cands: list = []
        last = None
        shadow = False
        for (pattern, category, scope_values, lesson_id, size_mult, eam, xam, delay, p1m, tdm, trm, ptm, thresholds,
             strength_doc, execution_doc) in rows:  # ordered by pattern, category, rank
            if (pattern, category) != last:
                if last is not None:
                    self._add_entry(index, last, cands, telemetry)
                last, cands = (pattern, category), []
                shadow = self.mode_of(pattern) == "shadow"
            ctl = None
            if delay is not None or p1m is not None or tdm is not None or trm is not None or ptm is not None or thresholds:
                # only the multipliers the override has: (control, multiplier, clamp above at 1, clamp below at 0)
                mults: tuple = ()
                if p1m is not None:
                    mults += (("phase1_frac", p1m, True, True),)
                if tdm is not None:
                    mults += (("trim_delay", tdm, False, True),)
                if trm is not None:
                    mults += (("trail_speed", trm, False, True),)
                if ptm is not None:
                    mults += (("panic_trigger", ptm, False, False),)
                ctl = (delay, mults, thresholds or None)
            cands.append((frozenset(scope_values.items()),
                          (lesson_id, eam, xam, size_mult, ctl, {"strength": strength_doc, "execution": execution_doc},
                           strength_doc, execution_doc, (gen, lesson_id, shadow, 1 if execution_doc is not None else 0))))
        if last is not None:
            self._add_entry(index, last, cands, telemetry)
        self.index = index

    def _add_entry(self, index: dict, key: tuple, cands: list, telemetry: str) -> None:
        pattern, category = key
        mode = self.mode_of(pattern)
        dims = tuple(self.int_dims.get(pattern.split(".", 1)[0], ()))
        # the scan for the first contained scope runs in C: next(filter(scope.items().__ge__, scopes)) (filing the
        # candidates under one of their items and testing only those filed under the call's values, or ANDing bit
        # masks per dimension value, cost more: bench/RESULTS.md)
        index.setdefault(pattern, {})[category] = (dims, tuple(c[0] for c in cands), {c[0]: c[1] for c in cands},
                                                   mode, mode == "shadow", telemetry)

    def mode_of(self, pattern_key: str) -> str:
        """feature_flags.learning_overrides_mode_by_pattern ->> pattern_key, else learning_overrides_mode, else apply."""
        return self.mode_by_pattern.get(pattern_key, self.mode) if self.mode_by_pattern else self.mode


class OverrideCache:
    """resolve_overrides in process. OverrideCache(dsn) LISTENs, loads and ships telemetry on dsn (the primary);
    OverrideCache(dsn, read_dsn=standby) loads from the standby, LISTENs and ships telemetry on the primary;
    OverrideCache(None, read_dsn=standby) polls the standby only and keeps no telemetry (telemetry=False implied).

    resolve(pattern_key, action_category, scope, base_levers, plan_controls) -> dict, the document of
    resolve_overrides (the returned levers / controls / applied documents may be the caller's or the cache's own
    objects: treat them as read-only). resolution(...) wraps it in a pglearn.Resolution.
    """

    def __init__(self, dsn: str | None = None, *, read_dsn: str | None = None, listen: bool = True,
                 poll_interval: float = 1.0, telemetry: bool = True, flush_interval: float = 1.0,
                 replay_wait: float = 5.0):
        if dsn is None and read_dsn is None:
            raise ValueError("pass dsn (the primary) and/or read_dsn (e.g. a hot standby)")
        self._dsn, self._read_dsn = dsn, read_dsn or dsn
        self._listen = listen and dsn is not None
        self._telemetry = telemetry and dsn is not None
        self.poll_interval, self.flush_interval, self.replay_wait = poll_interval, flush_interval, replay_wait
        # telemetry: resolve() appends a candidate's token to _events (deque.append is atomic: no lock); the thread
        # (and flush()) pop them, count them in C and add them to _counts under _lock, per hour
        self._events: deque = deque()
        self._tally = self._events.append
        self._hour = int(time.time()) // 3600  # the UTC hour the events waiting in _events belong to
        self._counts: dict = {}  # (hour, generation, lesson_id, shadow) -> [decisions, execution decisions], unshipped
        self._lock = threading.Lock()  # _counts and the popping of _events
        self._read_lock = threading.RLock()  # the read connection: the thread and reload() share it
        self._stop = threading.Event()
        self.last_load_seconds = 0.0
        self.loads = 0
        self.reload_error: BaseException | None = None
        self._read = psycopg.connect(self._read_dsn, autocommit=True)
        self._state = self._load()
        self._notify_conn = None
        if self._listen:
            self._notify_conn = psycopg.connect(dsn, autocommit=True)
            self._notify_conn.execute(f"LISTEN {CHANNEL}")
        self._write = psycopg.connect(dsn, autocommit=True) if self._telemetry else None
        self._thread = threading.Thread(target=self._run, name="pglearn-override-cache", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- loading
    def _fetch_state(self) -> dict:
        try:
            with self._read_lock:
                return self._read.execute("SELECT learning.override_cache_state()").fetchone()[0]
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def _load(self, state: dict | None = None) -> _State:
        t = time.perf_counter()
        with self._read_lock, self._read.transaction():
            self._read.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            state = self._fetch_state()
            rows = []
            if state.get("generation") is not None:  # one JSON document: one C parse instead of 40,000 small ones
                rows = json.loads(self._read.execute(_ROWS_SQL, (state["generation"],)).fetchone()[0])
        snap = _State(state, rows, "batched" if self._telemetry else "off")
        self.last_load_seconds = time.perf_counter() - t
        self.loads += 1
        return snap

    @property
    def generation(self) -> int | None:
        """The generation the cache answers from."""
        return self._state.generation

    def reload(self) -> None:
        """Load the current generation and flags now (the background thread does this on its own)."""
        self._state = self._load()

    def _refresh(self, wanted: int | None = None) -> None:
        """Reload when the read DSN shows a new generation or new flags; after a NOTIFY of generation `wanted`, wait
        (up to replay_wait seconds) until a standby has replayed it."""
        deadline = time.monotonic() + self.replay_wait
        while True:
            state = self._fetch_state()
            gen = state.get("generation")
            if wanted is None or (gen is not None and gen >= wanted) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        cur = self._state
        if (gen != cur.generation or (state.get("flags") or {}) != cur.flags
                or (state.get("integer_dims") or {}) != cur.int_dims):
            self._state = self._load()

    def _run(self) -> None:
        next_poll = next_flush = time.monotonic()
        while not self._stop.is_set():
            try:
                wanted = None
                now = time.monotonic()
                # wake at least every 0.25 s so that close() never waits long, and at the turn of the hour (the
                # events of the hour that ends are counted to it then)
                wait = min(0.25, max(0.0, min(next_poll, next_flush if self._telemetry else next_poll) - now))
                if self._telemetry:
                    wait = min(wait, max(0.0, (self._hour + 1) * 3600 - time.time()))
                if self._notify_conn is not None:
                    for n in self._notify_conn.notifies(timeout=wait or 0.001, stop_after=1):
                        wanted = int(n.payload) if n.payload.isdigit() else 0
                else:
                    self._stop.wait(wait)
                now = time.monotonic()
                if wanted is not None or now >= next_poll:
                    self._refresh(wanted)
                    next_poll = time.monotonic() + self.poll_interval
                if self._telemetry and now >= next_flush:
                    self.flush()
                    next_flush = time.monotonic() + self.flush_interval
                elif self._telemetry and time.time() >= (self._hour + 1) * 3600:
                    self._harvest()
                self.reload_error = None
            except Exception as exc:  # keep answering from the last snapshot; retry at the next poll
                self.reload_error = exc
                self._stop.wait(min(self.poll_interval, 1.0))
                self._reconnect()
                next_poll = time.monotonic()

    def _reconnect(self) -> None:
        for name, dsn in (("_read", self._read_dsn), ("_write", self._dsn if self._telemetry else None),
                          ("_notify_conn", self._dsn if self._listen else None)):
            conn = getattr(self, name)
            if dsn is None or (conn is not None and not conn.closed and conn.info.transaction_status.name == "IDLE"):
                continue
            try:
                if conn is not None:
                    conn.close()
                conn = psycopg.connect(dsn, autocommit=True)
                if name == "_notify_conn":
                    conn.execute(f"LISTEN {CHANNEL}")
                setattr(self, name, conn)
            except psycopg.Error:
                pass

    # ---------------------------------------------------------------- telemetry
    def _harvest(self) -> None:
        """Count the events resolve() appended so far into _counts, to the hour they belong to (self._hour; at the
        first harvest after the turn of the hour, the hour that ended: the thread wakes for it)."""
        with self._lock:
            events = self._events
            n = len(events)
            if n:
                hour, counts = self._hour, self._counts
                for (gen, lesson_id, shadow, has_exec), k in Counter(map(operator.call, repeat(events.popleft, n))).items():
                    c = counts.get((hour, gen, lesson_id, shadow))
                    if c is None:
                        counts[(hour, gen, lesson_id, shadow)] = [k, k * has_exec]
                    else:
                        c[0] += k
                        c[1] += k * has_exec
            self._hour = int(time.time()) // 3600

    def flush(self) -> int:
        """Ship the decision counters gathered so far (learning.record_override_decisions); returns how many."""
        if not self._telemetry:
            return 0
        self._harvest()
        with self._lock:
            counts, self._counts = self._counts, {}
        if not counts:
            return 0
        cols: list[list] = [[], [], [], [], [], []]
        for (hour, gen, lesson_id, shadow), (n, n_exec) in counts.items():
            for col, v in zip(cols, (datetime.fromtimestamp(hour * 3600, timezone.utc), gen, lesson_id, shadow, n, n_exec)):
                col.append(v)
        try:
            self._write.execute("SELECT learning.record_override_decisions(%s, %s, %s, %s, %s, %s)", cols)
        except psycopg.Error:
            with self._lock:  # keep them for the next flush
                for key, (n, n_exec) in counts.items():
                    old = self._counts.setdefault(key, [0, 0])
                    old[0] += n
                    old[1] += n_exec
            raise
        return sum(n for n, _ in counts.values())

    def close(self) -> None:
        """Stop the thread, flush the counters, close the connections."""
        self._stop.set()
        self._thread.join(timeout=self.replay_wait + 5)
        try:
            if self._telemetry:
                self.flush()
        finally:
            for conn in (self._read, self._write, self._notify_conn):
                if conn is not None:
                    conn.close()

    def __enter__(self) -> "OverrideCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- answering
    def resolution(self, *args, **kwargs) -> Resolution:
        """resolve() as a pglearn.Resolution."""
        return Resolution.from_json(self.resolve(*args, **kwargs))

    def resolve(self, pattern_key: str, action_category: str, scope: dict, base_levers: dict,
                plan_controls: dict | None = None) -> dict:
        """The document resolve_overrides would return for these arguments from the cached generation."""
        st = self._state
        if plan_controls is None:
            plan_controls = {}
        try:
            by_category = st.index.get(pattern_key)
        except TypeError:  # unhashable: not a string
            by_category = None
        entry = by_category.get(action_category) if by_category is not None else None
        if entry is None:  # no override of this pattern and category: the key and category are checked here
            _check_key(pattern_key, action_category)
            dims = tuple(st.int_dims.get(pattern_key.split(".", 1)[0], ()))
        else:  # a stored pattern key and category are well formed
            dims = entry[0]
        # the good path of resolve_overrides' argument check, else its error path (which also normalises)
        good = type(scope) is dict and type(base_levers) is dict and type(plan_controls) is dict
        if good:
            a = base_levers.get("A_value")
            e = base_levers.get("E_value")
            s = base_levers.get("position_size_frac")
            ta, te, ts = type(a), type(e), type(s)
            good = ((ta is float or ta is int) and (te is float or te is int) and (ts is float or ts is int)
                    and 0 <= a <= 1 and 0 <= e <= 1 and 0 <= s <= 1)  # NaN fails the range
            if good and plan_controls:
                for k in CONTROL_KEYS.intersection(plan_controls):
                    v = plan_controls[k]
                    tv = type(v)
                    if not ((tv is float or tv is int) and -INT_MAX <= v <= INT_MAX):
                        good = False
                        break
            if good:
                for dim in dims:
                    v = scope.get(dim, _MISSING)
                    tv = type(v)
                    if (tv is int and 1 <= v <= INT_MAX) or v is _MISSING or (tv is str and not _digit_string(v)):
                        continue
                    good = False
                    break
        if good:
            match_scope = scope
        else:
            match_scope = _check_args(scope, base_levers, plan_controls, st.int_dims.get(pattern_key.split(".", 1)[0], {}))
        if entry is None:
            return {"levers": base_levers, "controls": plan_controls, "applied": _NO_MATCH_APPLIED,
                    "generation": st.generation, "mode": st.mode_of(pattern_key), "telemetry": "none"}
        found = None
        if st.open or (st.enabled and (not st.regimes or _regime_ok(st.regimes, match_scope)) and (
                not st.buckets or (_as_text(match_scope.get("bucket")) or "") in st.buckets)):
            found = next(filter(match_scope.items().__ge__, entry[1]), None)
        if found is None:
            return {"levers": base_levers, "controls": plan_controls, "applied": _NO_MATCH_APPLIED,
                    "generation": st.generation, "mode": entry[3], "telemetry": "none"}
        lesson_id, eam, xam, sm, ctl, applied, strength_doc, execution_doc, token = entry[2][found]
        x = base_levers["A_value"] * eam
        y = base_levers["E_value"] * xam
        z = base_levers["position_size_frac"] * sm
        levers = {**base_levers, "A_value": 0.0 if x < 0 else 1.0 if x > 1 else x,
                  "E_value": 0.0 if y < 0 else 1.0 if y > 1 else y,
                  "position_size_frac": 0.0 if z < 0 else 1.0 if z > 1 else z}
        if ctl is None:  # the override moves no execution lever: the controls as given
            controls = plan_controls
        else:
            delay, mults, thresholds = ctl
            controls = dict(plan_controls)
            if delay is not None:
                controls["entry_delay_bars"] = delay
            for k, m, hi, lo in mults:
                if k in plan_controls:
                    v = plan_controls[k] * m
                    controls[k] = 0.0 if lo and v < 0 else 1.0 if hi and v > 1 else v
            if thresholds:
                controls.update(thresholds)
        telemetry = entry[5]
        if telemetry == "batched":
            self._tally(token)  # counted by the thread (and by flush)
        if entry[4]:  # shadow mode: the inputs unchanged, what would have applied under "shadow"
            return {"levers": base_levers, "controls": plan_controls, "applied": _NO_MATCH_APPLIED,
                    "generation": st.generation, "mode": entry[3],
                    "shadow": {"levers": levers, "controls": controls, "strength": strength_doc, "execution": execution_doc},
                    "telemetry": telemetry}
        return {"levers": levers, "controls": controls, "applied": applied, "generation": st.generation,
                "mode": entry[3], "telemetry": telemetry}


def _regime_ok(regimes: frozenset, scope: dict) -> bool:
    return any(_as_text(scope.get(k)) in regimes for k in ("macro_phase", "meso_phase", "micro_phase"))


_GOOD_KEYS: set = set()


def _check_key(pattern_key: object, action_category: object) -> None:
    """learning._raise_decision_args for the key and category (the scope is checked in _check_args)."""
    if pattern_key not in _GOOD_KEYS:
        if not isinstance(pattern_key, str) or len(pattern_key) > 200 or not PATTERN_KEY_RE.fullmatch(pattern_key):
            shown = repr(pattern_key[:60]) if isinstance(pattern_key, str) else "NULL" if pattern_key is None else repr(pattern_key)
            raise InvalidValue(f"pattern_key {shown} is malformed",
                               hint="pm. or dm. followed by dot-separated parts of [A-Za-z0-9_-], at most 200 characters.")
        if len(_GOOD_KEYS) < 100_000:
            _GOOD_KEYS.add(pattern_key)
    if action_category not in CATEGORIES:
        raise InvalidValue(f"action_category {action_category!r} is invalid", hint="action_category is entry, add, trim or exit.")


def _check_args(scope: object, base: object, controls: object, specs: dict) -> dict:
    """learning._raise_decision_args (scope) and learning._raise_resolve_args, then learning._normalise_scope:
    raises InvalidValue naming the first bad field, or returns the scope to match with. specs: the integer
    dimensions of the pattern's namespace, {dim_name: {"min_value", "allowed_values"}}."""
    if type(scope) is not dict:
        raise InvalidValue("scope must be a JSON object", hint="Pass the action's scope, as logged.")
    checked = any(_suspicious(v) for v in scope.values())
    fixed = {}
    for dim, spec in specs.items():
        v = scope.get(dim, _MISSING)
        if v is _MISSING:
            continue
        if checked:
            w = int(v) if _digit_string(v) and len(v) <= 7 else v
            ok = (_is_num(w) and w == math.floor(w)
                  and (spec.get("min_value") if spec.get("min_value") is not None else -INT_MAX) <= w <= INT_MAX
                  and (spec.get("allowed_values") is None or w in spec["allowed_values"]))
            if not ok:
                raise InvalidValue(f"scope.{dim} = {v!r} is invalid: expected an integer in the registry's range",
                                   hint="Integer scope dimensions (bucket_rank_position) are integers from min_value to 1000000.")
            # learning._normalise_scope: digit strings and integral numbers become plain integers
            fixed[dim] = int(w)
        elif type(v) is bool:
            fixed[dim] = _Bool(v)
    if type(base) is not dict:
        raise InvalidValue("base_levers must be a JSON object", hint='base_levers is {"A_value": .., "E_value": .., "position_size_frac": ..}.')
    for k in BASE_KEYS:
        if type(base.get(k)) is not int and type(base.get(k)) is not float:
            raise InvalidValue(f"base_levers.{k} must be a number", hint="each a number in [0, 1].")
    for k in BASE_KEYS:
        if not 0 <= base[k] <= 1:
            raise InvalidValue(f"base_levers.{k} = {base[k]!r} is out of range", hint="each a number in [0, 1].")
    if type(controls) is not dict:
        raise InvalidValue("plan_controls must be a JSON object", hint="Pass {} when the plan has no controls.")
    for k in sorted(CONTROL_KEYS.intersection(controls)):
        v = controls[k]
        if not (_is_num(v) and -INT_MAX <= v <= INT_MAX):
            raise InvalidValue(f"plan_controls.{k} must be a number within +/- 1e6, got {v!r}",
                               hint="Controls the overrides act on are numbers within +/- 1000000.")
    # bools in any dimension never equal a number when matching
    for k, v in scope.items():
        if type(v) is bool and k not in fixed:
            fixed[k] = _Bool(v)
    return {**scope, **fixed} if fixed else scope
