"""pglearn.OverrideCache: resolve_overrides in process, with the SQL function's semantics (docs/api.md, "OverrideCache").

The cache holds the current override generation (learning.override_cache_rows), the feature flags and the integer
scope dimensions (learning.override_cache_state), indexed per (pattern, category) in rank order. resolve() answers
with the document `SELECT resolve_overrides(...)` returns (but "telemetry": "batched" or "off"); bad arguments raise
pglearn.InvalidValue (22023) as the function does. A background thread reloads the cache when a generation is
published (LISTEN pglearn_overrides on the primary) or when polling the read DSN shows a new generation or new flags
(a hot standby cannot LISTEN), and ships the decision counters in batches (learning.record_override_decisions). A
clean close() flushes; a crash loses the counters of at most one flush interval.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from datetime import datetime, timezone

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
    """One immutable snapshot: a generation, its index and the flags. Swapped whole by the reload thread."""

    __slots__ = ("generation", "flags", "index", "int_dims", "enabled", "regimes", "buckets", "mode", "mode_by_pattern",
                 "full")

    def __init__(self, state: dict, rows: list):
        self.generation = state.get("generation")
        self.flags = flags = state.get("flags") or {}
        self.int_dims = state.get("integer_dims") or {}
        self.enabled = flags.get("learning_overrides_enabled") is True
        self.regimes = frozenset(x for x in (flags.get("learning_overrides_enabled_regimes") or []) if type(x) is str)
        self.buckets = frozenset(x for x in (flags.get("learning_overrides_enabled_buckets") or []) if type(x) is str)
        mode = flags.get("learning_overrides_mode")
        self.mode = mode if type(mode) is str else "apply"
        self.mode_by_pattern = {k: v for k, v in (flags.get("learning_overrides_mode_by_pattern") or {}).items() if type(v) is str}
        index: dict = {}
        for (pattern, category, scope_values, lesson_id, size_mult, eam, xam, delay, p1m, tdm, trm, ptm, thresholds,
             strength_doc, execution_doc) in rows:
            entry = index.get((pattern, category))
            if entry is None:
                dims = tuple(self.int_dims.get(pattern.split(".", 1)[0], ()))
                entry = index[(pattern, category)] = (dims, [])
            entry[1].append((frozenset(scope_values.items()), lesson_id, eam, xam, size_mult, delay, p1m, tdm, trm, ptm,
                             thresholds, strength_doc, execution_doc, 1 if execution_doc is not None else 0,
                             p1m is not None or tdm is not None or trm is not None or ptm is not None,
                             {"strength": strength_doc, "execution": execution_doc}))
        # per (pattern, category): (integer dims, the candidates' scopes in rank order, scope -> candidate); the
        # scan for the first contained scope then runs in C: next(filter(scope.items().__ge__, scopes))
        self.index = {key: (dims, tuple(c[0] for c in cands), {c[0]: c for c in cands}) for key, (dims, cands) in index.items()}


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
        self._counts: dict = {}
        self._lock = threading.Lock()  # the telemetry counters
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
        snap = _State(state, rows)
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
                # wake at least every 0.25 s so that close() never waits long
                wait = min(0.25, max(0.0, min(next_poll, next_flush if self._telemetry else next_poll) - now))
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
    def flush(self) -> int:
        """Ship the decision counters gathered so far (learning.record_override_decisions); returns how many."""
        if not self._telemetry:
            return 0
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
            entry = st.index.get((pattern_key, action_category))
        except TypeError:  # unhashable: not a string
            entry = None
        if entry is None:
            _check_key(pattern_key, action_category)
            dims = tuple(st.int_dims.get(pattern_key.split(".", 1)[0], ()))
            scopes = ()
        else:
            dims, scopes, by_scope = entry
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
        match_scope = scope if good else _check_args(scope, base_levers, plan_controls,
                                                     st.int_dims.get(pattern_key.split(".", 1)[0], {}))
        mode = st.mode_by_pattern.get(pattern_key, st.mode) if st.mode_by_pattern else st.mode
        gen = st.generation
        best = None
        if scopes and st.enabled and (not st.regimes or _regime_ok(st.regimes, match_scope)) and (
                not st.buckets or (_as_text(match_scope.get("bucket")) or "") in st.buckets):
            found = next(filter(match_scope.items().__ge__, scopes), None)
            if found is not None:
                best = by_scope[found]
        if best is None:
            return {"levers": base_levers, "controls": plan_controls, "applied": _NO_MATCH_APPLIED, "generation": gen,
                    "mode": mode, "telemetry": "none"}
        (_, lesson_id, eam, xam, sm, delay, p1m, tdm, trm, ptm, thresholds, strength_doc, execution_doc, has_exec, mults,
         applied) = best
        x = base_levers["A_value"] * eam
        y = base_levers["E_value"] * xam
        z = base_levers["position_size_frac"] * sm
        levers = {**base_levers, "A_value": 0.0 if x < 0 else 1.0 if x > 1 else x,
                  "E_value": 0.0 if y < 0 else 1.0 if y > 1 else y,
                  "position_size_frac": 0.0 if z < 0 else 1.0 if z > 1 else z}
        controls = dict(plan_controls)
        if delay is not None:
            controls["entry_delay_bars"] = delay
        if mults:
            if p1m is not None and "phase1_frac" in plan_controls:
                v = plan_controls["phase1_frac"] * p1m
                controls["phase1_frac"] = 0.0 if v < 0 else 1.0 if v > 1 else v
            if tdm is not None and "trim_delay" in plan_controls:
                v = plan_controls["trim_delay"] * tdm
                controls["trim_delay"] = 0.0 if v < 0 else v
            if trm is not None and "trail_speed" in plan_controls:
                v = plan_controls["trail_speed"] * trm
                controls["trail_speed"] = 0.0 if v < 0 else v
            if ptm is not None and "panic_trigger" in plan_controls:
                controls["panic_trigger"] = plan_controls["panic_trigger"] * ptm
        if thresholds:
            controls.update(thresholds)
        shadow = mode == "shadow"
        if self._telemetry:
            key = (int(_now()) // 3600, gen, lesson_id, shadow)
            with self._lock:
                n = self._counts.get(key)
                if n is None:
                    self._counts[key] = [1, has_exec]
                else:
                    n[0] += 1
                    n[1] += has_exec
        telemetry = "batched" if self._telemetry else "off"
        if shadow:
            return {"levers": base_levers, "controls": plan_controls, "applied": _NO_MATCH_APPLIED, "generation": gen,
                    "mode": mode, "shadow": {"levers": levers, "controls": controls, "strength": strength_doc,
                                             "execution": execution_doc}, "telemetry": telemetry}
        return {"levers": levers, "controls": controls, "applied": applied, "generation": gen, "mode": mode,
                "telemetry": telemetry}


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
